// Email through Azure Communication Services: an Email Communication Service with an Azure-managed domain
// (<guid>.azurecomm.net, verified by Azure, sender DoNotReply@…), linked to a Communication Services resource
// the app sends through with its managed identity.
param communicationServiceName string
param emailServiceName string
param dataLocation string
param tags object
@description('Principal (object) id of the app\'s managed identity.')
param principalId string

// Communication and Email Service Owner: the built-in role that lets an Entra identity send email.
var emailSender = '09976791-48a7-449e-bb21-39d1a415f350'

resource emailService 'Microsoft.Communication/emailServices@2023-04-01' = {
  name: emailServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
  }
}

resource managedDomain 'Microsoft.Communication/emailServices/domains@2023-04-01' = {
  parent: emailService
  name: 'AzureManagedDomain'
  location: 'global'
  tags: tags
  properties: {
    domainManagement: 'AzureManaged'
    // Herald counts clicks itself (signed redirects); ACS tracking would rewrite its links.
    userEngagementTracking: 'Disabled'
  }
}

resource communicationService 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: communicationServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
    linkedDomains: [
      managedDomain.id
    ]
  }
}

resource sender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(communicationService.id, principalId, emailSender)
  scope: communicationService
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', emailSender)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output name string = communicationService.name
output endpoint string = 'https://${communicationService.properties.hostName}'
output senderAddress string = 'DoNotReply@${managedDomain.properties.mailFromSenderDomain}'
