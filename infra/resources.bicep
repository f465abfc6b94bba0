// Everything in the resource group. Secrets live in Key Vault only: the data modules write their connection
// strings there, and the container apps and the job read them through the one user-assigned identity.
param location string
param tags object
param principalId string
param apiExists bool
param workersExists bool
param migrationsImage string
param postgresServerName string
param postgresVersion string
param postgresSkuName string
param postgresSkuTier string
param postgresStorageGb int
param postgresBackupRetentionDays int
param postgresZoneRedundantHa bool
param postgresMaxConnections int
param postgresAdminLogin string
@secure()
param postgresAdminPassword string
param redisSkuName string
param apiMinReplicas int
param apiMaxReplicas int
param apiConcurrentRequests int
param workersMinReplicas int
param workersMaxReplicas int
param workersDueJobsPerReplica int
param publicBaseUrl string
param webAppBaseUrl string
param authAuthority string
param taggingEndpoint string
@secure()
param authSigningKey string
@secure()
param visitorHashSalt string
@secure()
param stripeSecretKey string
@secure()
param stripeWebhookSecret string
param stripePrices string
@secure()
param youtubeApiKey string
@secure()
param taggingApiKey string

var resourceToken = uniqueString(subscription().id, resourceGroup().id, location)
var databaseName = 'platformdb'
var apiName = 'api'
var workersName = 'workers'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${resourceToken}'
  location: location
  tags: tags
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
  }
}

module registry 'modules/registry.bicep' = {
  name: 'registry'
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    pullerPrincipalId: identity.properties.principalId
  }
}

module keyVault 'modules/key-vault.bicep' = {
  name: 'key-vault'
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    readerPrincipalId: identity.properties.principalId
    operatorPrincipalId: principalId
    authSigningKey: authSigningKey
    visitorHashSalt: visitorHashSalt
    stripeSecretKey: stripeSecretKey
    stripeWebhookSecret: stripeWebhookSecret
    youtubeApiKey: youtubeApiKey
    taggingApiKey: taggingApiKey
  }
}

module postgres 'modules/postgres.bicep' = {
  name: 'postgres'
  params: {
    location: location
    tags: tags
    name: empty(postgresServerName) ? 'psql-${resourceToken}' : postgresServerName
    version: postgresVersion
    skuName: postgresSkuName
    skuTier: postgresSkuTier
    storageGb: postgresStorageGb
    backupRetentionDays: postgresBackupRetentionDays
    zoneRedundantHa: postgresZoneRedundantHa
    maxConnections: postgresMaxConnections
    databaseName: databaseName
    adminLogin: postgresAdminLogin
    adminPassword: postgresAdminPassword
    keyVaultName: keyVault.outputs.name
  }
}

module redis 'modules/redis.bicep' = {
  name: 'redis'
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    skuName: redisSkuName
    keyVaultName: keyVault.outputs.name
  }
}

module environment 'modules/container-apps-environment.bicep' = {
  name: 'container-apps-environment'
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    logAnalyticsWorkspaceName: monitoring.outputs.logAnalyticsWorkspaceName
  }
}

var apiOrigin = 'https://${apiName}.${environment.outputs.defaultDomain}'
var publicOrigin = empty(publicBaseUrl) ? apiOrigin : publicBaseUrl
var webOrigin = empty(webAppBaseUrl) ? publicOrigin : webAppBaseUrl

// Key Vault secrets every app reads (the optional ones only when set).
var connectionSecrets = [
  { name: 'platformdb-connection-string', env: 'ConnectionStrings__platformdb' }
  { name: 'cache-connection-string', env: 'ConnectionStrings__cache' }
]
// Stripe__Prices__<tier> for the Api (checkout) and the Workers (a subscription's tier from its price), from
// 'tier=price,tier=price'.
var stripePriceEnv = map(filter(split(stripePrices, ','), pair => contains(pair, '=')), pair => {
  name: 'Stripe__Prices__${trim(split(pair, '=')[0])}'
  value: trim(split(pair, '=')[1])
})
var commonEnv = [
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: monitoring.outputs.applicationInsightsConnectionString }
  { name: 'AZURE_CLIENT_ID', value: identity.properties.clientId }
]

module api 'modules/container-app.bicep' = {
  name: 'api'
  params: {
    name: apiName
    serviceName: 'api'
    location: location
    tags: tags
    exists: apiExists
    environmentId: environment.outputs.id
    identityId: identity.id
    registryLoginServer: registry.outputs.loginServer
    keyVaultUri: keyVault.outputs.uri
    externalIngress: true
    minReplicas: apiMinReplicas
    maxReplicas: apiMaxReplicas
    scaleRules: [
      {
        name: 'http-concurrency'
        http: {
          metadata: {
            concurrentRequests: string(apiConcurrentRequests)
          }
        }
      }
    ]
    // With an OIDC issuer the Api gets no HS256 key: production tokens come from the issuer only.
    keyVaultSecrets: concat(connectionSecrets, [
      { name: 'visitor-hash-salt', env: 'Discovery__VisitorHashSalt' }
    ], empty(authAuthority) ? [
      { name: 'auth-signing-key', env: 'Auth__SigningKey' }
    ] : [], empty(stripeSecretKey) ? [] : [
      { name: 'stripe-secret-key', env: 'Stripe__SecretKey' }
    ], empty(stripeWebhookSecret) ? [] : [
      { name: 'stripe-webhook-secret', env: 'Stripe__WebhookSecret' }
    ])
    env: concat(commonEnv, [
      { name: 'OTEL_SERVICE_NAME', value: 'api' }
      // The ingress appends the client's address to X-Forwarded-For: rate limits and visitor hashes see the client.
      { name: 'ASPNETCORE_FORWARDEDHEADERS_ENABLED', value: 'true' }
      { name: 'Discovery__PublicBaseUrl', value: publicOrigin }
      { name: 'Stripe__CheckoutSuccessUrl', value: '${webOrigin}/billing?checkout=success' }
      { name: 'Stripe__CheckoutCancelUrl', value: '${webOrigin}/billing?checkout=cancelled' }
      { name: 'Stripe__PortalReturnUrl', value: '${webOrigin}/billing' }
    ], stripePriceEnv, empty(authAuthority) ? [] : [
      { name: 'Auth__Authority', value: authAuthority }
    ])
  }
  dependsOn: [
    postgres // the connection string secrets
    redis
  ]
}

module workers 'modules/container-app.bicep' = {
  name: 'workers'
  params: {
    name: workersName
    serviceName: 'workers'
    location: location
    tags: tags
    exists: workersExists
    environmentId: environment.outputs.id
    identityId: identity.id
    registryLoginServer: registry.outputs.loginServer
    keyVaultUri: keyVault.outputs.uri
    externalIngress: false
    minReplicas: workersMinReplicas
    maxReplicas: workersMaxReplicas
    scaleRules: [
      {
        // KEDA's postgresql scaler: one replica per workersDueJobsPerReplica jobs that are due and not claimed.
        name: 'due-jobs'
        custom: {
          type: 'postgresql'
          metadata: {
            host: postgres.outputs.fqdn
            port: '5432'
            userName: postgresAdminLogin
            dbName: databaseName
            sslmode: 'require'
            query: 'SELECT count(*) FROM job_queue WHERE status = \'pending\' AND run_at <= now()'
            targetQueryValue: string(workersDueJobsPerReplica)
          }
          auth: [
            {
              secretRef: 'postgres-admin-password'
              triggerParameter: 'password'
            }
          ]
        }
      }
    ]
    keyVaultSecrets: concat(connectionSecrets, [
      { name: 'postgres-admin-password', env: '' }
    ], empty(stripeSecretKey) ? [] : [
      { name: 'stripe-secret-key', env: 'Stripe__SecretKey' }
    ], empty(youtubeApiKey) ? [] : [
      { name: 'youtube-api-key', env: 'YouTube__ApiKey' }
    ], empty(taggingApiKey) ? [] : [
      { name: 'tagging-api-key', env: 'Tagging__ApiKey' }
    ])
    env: concat(commonEnv, [
      { name: 'OTEL_SERVICE_NAME', value: 'workers' }
    ], stripePriceEnv, empty(taggingEndpoint) ? [] : [
      { name: 'Tagging__Endpoint', value: taggingEndpoint }
    ])
  }
  dependsOn: [
    redis // its connection string secret
  ]
}

module migrations 'modules/migrations-job.bicep' = {
  name: 'migrations-job'
  params: {
    name: 'migrations'
    location: location
    tags: tags
    image: migrationsImage
    environmentId: environment.outputs.id
    identityId: identity.id
    registryLoginServer: registry.outputs.loginServer
    keyVaultUri: keyVault.outputs.uri
    env: concat(commonEnv, [
      { name: 'OTEL_SERVICE_NAME', value: 'migrations' }
    ])
  }
  dependsOn: [
    postgres // the connection string secret
  ]
}

output registryLoginServer string = registry.outputs.loginServer
output registryName string = registry.outputs.name
output environmentName string = environment.outputs.name
output environmentDefaultDomain string = environment.outputs.defaultDomain
output keyVaultName string = keyVault.outputs.name
output postgresServerName string = postgres.outputs.name
output identityClientId string = identity.properties.clientId
output migrationsJobName string = migrations.outputs.name
output apiName string = api.outputs.name
output workersName string = workers.outputs.name
output apiUrl string = apiOrigin
