// Key Vault in RBAC mode with Herald's secrets; the app reads them through Key Vault references as its
// managed identity (Key Vault Secrets User). The Graph client secret is stored only when one is given.
param name string
param location string
param tags object
@description('Principal (object) id of the app\'s managed identity.')
param principalId string
@secure()
param clickLinkSecret string
@secure()
param graphClientSecret string

var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'
var graphClientKeyName = 'graph-client-secret'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource clickLink 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'click-link-secret'
  properties: {
    value: clickLinkSecret
    contentType: 'text/plain'
  }
}

resource graphClient 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(graphClientSecret)) {
  parent: vault
  name: graphClientKeyName
  properties: {
    value: graphClientSecret
    contentType: 'text/plain'
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output name string = vault.name
// Versionless secret URIs (https://<vault>.vault.azure.net/secrets/<name>): a Key Vault reference to one
// follows the secret's latest version. The Graph one names a secret that exists only when one was given.
output clickLinkKeyUri string = clickLink.properties.secretUri
output graphClientKeyUri string = '${vault.properties.vaultUri}secrets/${graphClientKeyName}'
