// The Flex Consumption plan and the function app Herald runs in (Node.js 20, Linux), as the user-assigned
// identity. Its app settings are one `appsettings` resource: the host's storage and telemetry connections by
// identity, plus Herald's own settings from main.bicep.
param name string
param planName string
param location string
param tags object
@description('Resource id of the user-assigned identity the app runs as.')
param identityId string
@description('Client id of that identity: what the identity-based connections name.')
param identityClientId string
param storageAccountName string
@description('Blob container URL the Flex Consumption platform keeps the deployment package in.')
param deploymentContainerUrl string
param applicationInsightsConnectionString string
param maximumInstanceCount int
param instanceMemoryMB int
param corsAllowedOrigins array
@description('Herald\'s settings (name: value); Key Vault references included.')
param appSettings object

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      cors: {
        allowedOrigins: corsAllowedOrigins
      }
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: '20'
      }
    }
  }
}

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: union(
    {
      AzureWebJobsStorage__accountName: storageAccountName
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
      AZURE_CLIENT_ID: identityClientId
      PUBLIC_BASE_URL: 'https://${site.properties.defaultHostName}'
    },
    appSettings
  )
}

output name string = site.name
output url string = 'https://${site.properties.defaultHostName}'
