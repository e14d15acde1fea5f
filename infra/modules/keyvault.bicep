// Key Vault in RBAC mode with Herald's secrets; the app reads them through Key Vault references as its
// managed identity (Key Vault Secrets User). The Graph client secret, the push keys and the actionable signing key are stored only when given.
param name string
param location string
param tags object
@description('Principal (object) id of the app\'s managed identity.')
param principalId string
@secure()
param clickLinkSecret string
@secure()
param graphClientSecret string
@secure()
param fcmServiceAccount string
@secure()
param apnsKey string
@secure()
param actionableSigningKey string

var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'
var graphClientKeyName = 'graph-client-secret'
var fcmServiceAccountName = 'fcm-service-account'
var apnsKeyName = 'apns-key'
var actionableSigningKeyName = 'actionable-signing-key'

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

resource fcm 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(fcmServiceAccount)) {
  parent: vault
  name: fcmServiceAccountName
  properties: {
    value: fcmServiceAccount
    contentType: 'application/json'
  }
}

resource apns 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(apnsKey)) {
  parent: vault
  name: apnsKeyName
  properties: {
    value: apnsKey
    contentType: 'application/pkcs8'
  }
}

resource actionableSigning 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(actionableSigningKey)) {
  parent: vault
  name: actionableSigningKeyName
  properties: {
    value: actionableSigningKey
    contentType: 'application/pkcs8'
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
// follows the secret's latest version. The Graph and push ones name secrets that exist only when given.
output clickLinkKeyUri string = clickLink.properties.secretUri
output graphClientKeyUri string = '${vault.properties.vaultUri}secrets/${graphClientKeyName}'
output fcmServiceAccountUri string = '${vault.properties.vaultUri}secrets/${fcmServiceAccountName}'
output apnsKeyUri string = '${vault.properties.vaultUri}secrets/${apnsKeyName}'
output actionableSigningKeyUri string = '${vault.properties.vaultUri}secrets/${actionableSigningKeyName}'
