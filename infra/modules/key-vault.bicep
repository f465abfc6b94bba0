// Key Vault holds every secret the apps use (RBAC authorization; the apps' identity reads, nobody else by default).
// This module writes the application secrets; postgres.bicep and redis.bicep write their connection strings.
param location string
param tags object
param resourceToken string
param readerPrincipalId string
@description('The person running azd, to read secrets while operating the deployment; empty to skip.')
param operatorPrincipalId string
@secure()
param authSigningKey string
@secure()
param visitorHashSalt string
@secure()
param stripeSecretKey string
@secure()
param stripeWebhookSecret string
@secure()
param youtubeApiKey string
@secure()
param taggingApiKey string

var secretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6' // Key Vault Secrets User

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-${resourceToken}'
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
  }
}

resource appsRead 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, readerPrincipalId, secretsUserRoleId)
  properties: {
    principalId: readerPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUserRoleId)
  }
}

resource operatorRead 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  scope: vault
  name: guid(vault.id, operatorPrincipalId, secretsUserRoleId)
  properties: {
    principalId: operatorPrincipalId
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUserRoleId)
  }
}

resource signingKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'auth-signing-key'
  properties: {
    value: authSigningKey
  }
}

resource visitorHashSaltSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'visitor-hash-salt'
  properties: {
    value: visitorHashSalt
  }
}

resource stripeSecretKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(stripeSecretKey)) {
  parent: vault
  name: 'stripe-secret-key'
  properties: {
    value: stripeSecretKey
  }
}

resource stripeWebhookSecretSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(stripeWebhookSecret)) {
  parent: vault
  name: 'stripe-webhook-secret'
  properties: {
    value: stripeWebhookSecret
  }
}

resource youtubeApiKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(youtubeApiKey)) {
  parent: vault
  name: 'youtube-api-key'
  properties: {
    value: youtubeApiKey
  }
}

resource taggingApiKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(taggingApiKey)) {
  parent: vault
  name: 'tagging-api-key'
  properties: {
    value: taggingApiKey
  }
}

output name string = vault.name
// Apps use this output, so they are created after this module's deployment, role assignments included.
output uri string = vault.properties.vaultUri
