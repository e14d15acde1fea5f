// Herald on Azure: one resource group with a Flex Consumption function app, its storage (managed identity only),
// Communication Services email, Key Vault, Application Insights and the identity that reaches all of them.
// `azd up` deploys it (azure.yaml at the repo root); docs/deploy.md says what each piece is for.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; names the resource group and seeds the unique suffix of every resource name.')
param environmentName string

@minLength(1)
@description('Azure region of every regional resource. It must offer the Flex Consumption plan.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Tenant (directory) id of the Entra app registration that callers get Herald tokens for. Default: the tenant of this deployment.')
param entraTenantId string = tenant().tenantId

@minLength(36)
@maxLength(36)
@description('Application (client) id of Herald\'s Entra app registration (docs/deploy.md, step 2). Access tokens (v2.0) carry it as their audience; it is also the client Herald calls Microsoft Graph as.')
param entraAppClientId string

@description('Application ID URI of the app registration (Expose an API), e.g. api://herald or api://<client id>. Clients ask for tokens with the scope <this>/.default.')
param apiAudience string = 'api://${entraAppClientId}'

@secure()
@description('Optional client secret of the app registration, for Microsoft Graph. Empty: no GRAPH_CLIENT_SECRET setting and no secret in Key Vault.')
param graphClientSecret string = ''

@secure()
@description('Optional Firebase service-account JSON for Android push, kept in Key Vault (FCM_SERVICE_ACCOUNT). Empty: no Android push.')
param fcmServiceAccount string = ''

@secure()
@description('Optional APNs auth key (the .p8 file\'s text) for iOS push, kept in Key Vault (APNS_KEY). Empty: no iOS push.')
param apnsKey string = ''

@secure()
@description('Herald\'s RSA private key (PKCS#8 PEM, e.g. `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`) that signs the actions it relays to providers and publishes at /api/actionable/keys, kept in Key Vault (ACTIONABLE_SIGNING_KEY). Empty: actionable email is sent but its actions are refused, and the keys route answers 503 naming the setting.')
param actionableSigningKey string = ''

@description('With apnsKey: the key\'s 10-character id.')
param apnsKeyId string = ''

@description('With apnsKey: the Apple developer team id.')
param apnsTeamId string = ''

@description('With apnsKey: the iOS app\'s bundle id, e.g. com.contoso.herald.')
param apnsTopic string = ''

@secure()
@minLength(32)
@description('Key that signs click-tracking links (CLICK_LINK_SECRET), kept in Key Vault. azd generates it once per environment and reuses it.')
@metadata({
  azd: {
    type: 'generate'
    config: {
      length: 64
      noSpecial: true
    }
  }
})
param clickLinkSecret string

@description('Where Communication Services keeps its data at rest; the email service and the communication service must use the same.')
param communicationDataLocation string = 'United States'

@description('EMAIL_SENDS_PER_SECOND. The Azure-managed email domain sends at most 5 emails a minute (and 10 an hour); raise this with a custom domain and a quota increase.')
param emailSendsPerSecond string = '0.08'

@minValue(40)
@maxValue(1000)
@description('Most instances the Flex Consumption app scales out to.')
param maximumInstanceCount int = 100

@allowed([
  512
  2048
  4096
])
@description('Memory of each Flex Consumption instance, in MB.')
param instanceMemoryMB int = 2048

@description('Browser origins allowed to call the API (CORS), e.g. https://admin.contoso.com. Empty: no browser origin.')
param corsAllowedOrigins array = []

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = 'func-herald-${resourceToken}'

resource resourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: resourceGroup
  params: {
    name: 'id-herald-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: resourceGroup
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
    principalId: identity.outputs.principalId
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: resourceGroup
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: 'app-package'
    principalId: identity.outputs.principalId
  }
}

module communication 'modules/communication.bicep' = {
  name: 'communication'
  scope: resourceGroup
  params: {
    communicationServiceName: 'acs-herald-${resourceToken}'
    emailServiceName: 'ecs-herald-${resourceToken}'
    dataLocation: communicationDataLocation
    tags: tags
    principalId: identity.outputs.principalId
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: resourceGroup
  params: {
    name: 'kv-${resourceToken}'
    location: location
    tags: tags
    principalId: identity.outputs.principalId
    clickLinkSecret: clickLinkSecret
    graphClientSecret: graphClientSecret
    fcmServiceAccount: fcmServiceAccount
    apnsKey: apnsKey
    actionableSigningKey: actionableSigningKey
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: resourceGroup
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: union(tags, { 'azd-service-name': 'api' })
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    corsAllowedOrigins: corsAllowedOrigins
    appSettings: union(
      {
        AUTH_ISSUER: '${environment().authentication.loginEndpoint}{tenantid}/v2.0'
        AUTH_AUDIENCE: entraAppClientId
        AUTH_JWKS_URI: '${environment().authentication.loginEndpoint}${entraTenantId}/discovery/v2.0/keys'
        GRAPH_CLIENT_ID: entraAppClientId
        ACS_EMAIL_ENDPOINT: communication.outputs.endpoint
        EMAIL_SENDER_ADDRESS: communication.outputs.senderAddress
        EMAIL_SENDS_PER_SECOND: emailSendsPerSecond
        CLICK_LINK_SECRET: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.clickLinkKeyUri})'
      },
      empty(graphClientSecret)
        ? {}
        : {
            GRAPH_CLIENT_SECRET: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.graphClientKeyUri})'
          },
      empty(fcmServiceAccount)
        ? {}
        : {
            FCM_SERVICE_ACCOUNT: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.fcmServiceAccountUri})'
          },
      empty(apnsKey)
        ? {}
        : {
            APNS_KEY: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.apnsKeyUri})'
            APNS_KEY_ID: apnsKeyId
            APNS_TEAM_ID: apnsTeamId
            APNS_TOPIC: apnsTopic
          },
      empty(actionableSigningKey)
        ? {}
        : {
            ACTIONABLE_SIGNING_KEY: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.actionableSigningKeyUri})'
          }
    )
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = resourceGroup.name
output SERVICE_API_NAME string = functionApp.outputs.name
output SERVICE_API_URI string = functionApp.outputs.url
output API_BASE_URL string = '${functionApp.outputs.url}/api'
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_MANAGED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output ENTRA_TENANT_ID string = entraTenantId
output ENTRA_APP_CLIENT_ID string = entraAppClientId
output API_AUDIENCE string = apiAudience
output API_SCOPE string = '${apiAudience}/.default'
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output ACS_EMAIL_ENDPOINT string = communication.outputs.endpoint
output EMAIL_SENDER_ADDRESS string = communication.outputs.senderAddress
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.name
