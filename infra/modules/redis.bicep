// Azure Managed Redis (TLS only, access key in Key Vault): the result cache, HybridCache's L2 and the
// invalidation channel.
param location string
param tags object
param resourceToken string
param skuName string
param keyVaultName string

resource cluster 'Microsoft.Cache/redisEnterprise@2025-04-01' = {
  name: 'redis-${resourceToken}'
  location: location
  tags: tags
  sku: {
    name: skuName
  }
  properties: {
    minimumTlsVersion: '1.2'
  }
}

resource database 'Microsoft.Cache/redisEnterprise/databases@2025-04-01' = {
  parent: cluster
  name: 'default'
  properties: {
    clientProtocol: 'Encrypted' // TLS only
    port: 10000
    clusteringPolicy: 'EnterpriseCluster' // one endpoint: pub/sub and multi-key commands as on a single server
    evictionPolicy: 'AllKeysLRU' // a cache only: any key may go when memory is full
    accessKeysAuthentication: 'Enabled'
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource connectionStringSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'cache-connection-string'
  properties: {
    value: '${cluster.properties.hostName}:${database.properties.port},password=${database.listKeys().primaryKey},ssl=True,abortConnect=False'
  }
}

output name string = cluster.name
