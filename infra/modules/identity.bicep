// The user-assigned managed identity Herald runs as: storage, Key Vault references, Application Insights and
// Communication Services all authenticate it. User-assigned, so its roles exist before the app first starts.
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
