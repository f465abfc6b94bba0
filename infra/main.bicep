// The Azure topology of `azd up` (publish mode): managed PostgreSQL and Redis, Key Vault, a Container Apps
// environment with the Api, the Workers and the migrations job. Laid out as `azd infra gen` lays it out: this file
// (subscription scope: the resource group) and resources.bicep with the modules under modules/.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; names and tags the resources.')
param environmentName string

@minLength(1)
@description('Azure region of every resource.')
@metadata({ azd: { type: 'location' } })
param location string

@description('Id of the principal running azd (read access to Key Vault secrets for operators); empty to skip.')
param principalId string = ''

// ---- Images (azd fills these in after the first deploy; a placeholder before) ----
@description('Whether the api container app exists already (azd: SERVICE_API_RESOURCE_EXISTS); keeps its image on re-provision.')
param apiExists bool = false

@description('Whether the workers container app exists already (azd: SERVICE_WORKERS_RESOURCE_EXISTS).')
param workersExists bool = false

@description('The migrations image the predeploy hook last pushed (azd env MIGRATIONS_IMAGE); empty before the first deploy.')
param migrationsImage string = ''

// ---- PostgreSQL ----
@description('Server name; empty = psql-<token>. After a point-in-time restore into a new server, set it to that server (README, Deploy to Azure).')
param postgresServerName string = ''

@description('PostgreSQL major version (16 or newer).')
@allowed([
  '16'
  '17'
])
param postgresVersion string = '16'

@description('Flexible Server compute SKU (General Purpose, 2 vCores, 8 GiB by default; Burstable cannot do HA).')
param postgresSkuName string = 'Standard_D2ds_v5'

@description('Tier of postgresSkuName: Burstable, GeneralPurpose or MemoryOptimized.')
@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
param postgresSkuTier string = 'GeneralPurpose'

@description('Storage in GiB (grows automatically).')
param postgresStorageGb int = 32

@description('Point-in-time restore window in days (7-35).')
@minValue(7)
@maxValue(35)
param postgresBackupRetentionDays int = 7

@description('Zone-redundant high availability (a standby in another zone; doubles the compute cost).')
param postgresZoneRedundantHa bool = false

@description('max_connections of the server; N Api and M Workers replicas need 40·N + 40·M + 4 (README, Connections).')
@minValue(50)
param postgresMaxConnections int = 800

@description('Administrator login of the server (the migrations runner and the services connect as it).')
param postgresAdminLogin string = 'platformadmin'

@secure()
@description('Administrator password; azd generates it once and keeps it in the environment.')
@metadata({ azd: { type: 'generate', config: { length: 32, noSpecial: true } } })
param postgresAdminPassword string

// ---- Redis ----
@description('Azure Managed Redis SKU (Balanced_B0 is 0.5 GB).')
param redisSkuName string = 'Balanced_B0'

// ---- Scale ----
@minValue(2)
@description('Fewest Api replicas.')
param apiMinReplicas int = 2

@description('Most Api replicas (HTTP concurrency scales between).')
param apiMaxReplicas int = 10

@description('Concurrent HTTP requests per Api replica before another is added.')
param apiConcurrentRequests int = 100

@minValue(1)
@description('Fewest Workers replicas (the schedules run there).')
param workersMinReplicas int = 1

@description('Most Workers replicas.')
param workersMaxReplicas int = 5

@description('Due pending jobs per Workers replica before another is added (KEDA postgresql scaler).')
param workersDueJobsPerReplica int = 200

// ---- Application settings ----
@description('Public https origin of the Api for canonical URLs and sitemaps (Discovery__PublicBaseUrl); empty = the Api app\'s own https address.')
param publicBaseUrl string = ''

@description('Origin of the web front end Stripe sends the browser back to; empty = publicBaseUrl.')
param webAppBaseUrl string = ''

@description('OIDC issuer of the users (Auth__Authority); empty = tokens signed with the generated HS256 key.')
param authAuthority string = ''

@description('OpenAI-compatible chat completions endpoint of the tagger (Tagging__Endpoint); empty = the built-in keyword tagger.')
param taggingEndpoint string = ''

@secure()
@description('HS256 signing key of the Api\'s tokens, given to the Api only when no OIDC issuer is set (authAuthority empty); generated once.')
@metadata({ azd: { type: 'generate', config: { length: 48, noSpecial: true } } })
param authSigningKey string

@secure()
@description('Salt of the click visitor hash, the same on every replica; generated once.')
@metadata({ azd: { type: 'generate', config: { length: 32, noSpecial: true } } })
param visitorHashSalt string

@secure()
@description('Stripe secret key (sk_live_...); empty = billing answers 503.')
param stripeSecretKey string = ''

@description('Stripe price id of each paid tier, comma-separated tier=price pairs (Stripe__Prices__<tier>), e.g. pro=price_123,business=price_456; empty = checkout has no tier to sell.')
param stripePrices string = ''

@secure()
@description('Stripe webhook signing secret(s), comma-separated for rotation (whsec_...).')
param stripeWebhookSecret string = ''

@secure()
@description('YouTube Data API v3 key; empty = YouTube syncs fail with that reason.')
param youtubeApiKey string = ''

@secure()
@description('API key of the tagging endpoint.')
param taggingApiKey string = ''

var tags = { 'azd-env-name': environmentName }

resource resourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module resources 'resources.bicep' = {
  scope: resourceGroup
  name: 'resources'
  params: {
    location: location
    tags: tags
    principalId: principalId
    apiExists: apiExists
    workersExists: workersExists
    migrationsImage: migrationsImage
    postgresServerName: postgresServerName
    postgresVersion: postgresVersion
    postgresSkuName: postgresSkuName
    postgresSkuTier: postgresSkuTier
    postgresStorageGb: postgresStorageGb
    postgresBackupRetentionDays: postgresBackupRetentionDays
    postgresZoneRedundantHa: postgresZoneRedundantHa
    postgresMaxConnections: postgresMaxConnections
    postgresAdminLogin: postgresAdminLogin
    postgresAdminPassword: postgresAdminPassword
    redisSkuName: redisSkuName
    apiMinReplicas: apiMinReplicas
    apiMaxReplicas: apiMaxReplicas
    apiConcurrentRequests: apiConcurrentRequests
    workersMinReplicas: workersMinReplicas
    workersMaxReplicas: workersMaxReplicas
    workersDueJobsPerReplica: workersDueJobsPerReplica
    publicBaseUrl: publicBaseUrl
    webAppBaseUrl: webAppBaseUrl
    authAuthority: authAuthority
    taggingEndpoint: taggingEndpoint
    authSigningKey: authSigningKey
    visitorHashSalt: visitorHashSalt
    stripeSecretKey: stripeSecretKey
    stripeWebhookSecret: stripeWebhookSecret
    stripePrices: stripePrices
    youtubeApiKey: youtubeApiKey
    taggingApiKey: taggingApiKey
  }
}

output AZURE_RESOURCE_GROUP string = resourceGroup.name
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = resources.outputs.registryLoginServer
output AZURE_CONTAINER_REGISTRY_NAME string = resources.outputs.registryName
output AZURE_CONTAINER_APPS_ENVIRONMENT_NAME string = resources.outputs.environmentName
output AZURE_CONTAINER_APPS_ENVIRONMENT_DEFAULT_DOMAIN string = resources.outputs.environmentDefaultDomain
output AZURE_KEY_VAULT_NAME string = resources.outputs.keyVaultName
output AZURE_POSTGRES_SERVER_NAME string = resources.outputs.postgresServerName
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = resources.outputs.identityClientId
output MIGRATIONS_JOB_NAME string = resources.outputs.migrationsJobName
output SERVICE_API_NAME string = resources.outputs.apiName
output SERVICE_WORKERS_NAME string = resources.outputs.workersName
output API_URL string = resources.outputs.apiUrl
