// The container registry azd pushes the api, workers and migrations images to; the apps pull with the identity.
param location string
param tags object
@minLength(13)
param resourceToken string
param pullerPrincipalId string

var acrPullRoleId = '7f951dde-4ed0-4d6a-a5e6-0e76e8f3d6a8'

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: 'cr${resourceToken}'
  location: location
  tags: tags
  sku: {
    name: 'Basic'
  }
  properties: {
    adminUserEnabled: false
  }
}

resource pull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: registry
  name: guid(registry.id, pullerPrincipalId, acrPullRoleId)
  properties: {
    principalId: pullerPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPullRoleId)
  }
}

output name string = registry.name
output loginServer string = registry.properties.loginServer
