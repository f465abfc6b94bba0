// One ASP.NET Core service as a container app: the image azd deploys, Key Vault secret references read with the
// user-assigned identity, probes on /alive (liveness, startup) and /health (readiness: unready until the database
// holds the migrations the image was built with), and the given scale rules.
param name string
@description('azd service name (azure.yaml) this app deploys.')
param serviceName string
param location string
param tags object
@description('Whether the app exists already: then its current image is kept.')
param exists bool
param environmentId string
param identityId string
param registryLoginServer string
param keyVaultUri string
param externalIngress bool
param minReplicas int
param maxReplicas int
param scaleRules array
@description('Key Vault secrets the app references: { name, env }; an empty env makes it a secret only (e.g. for a scale rule).')
param keyVaultSecrets array
@description('Plain environment variables: { name, value }.')
param env array

// The port of .NET 8+ container images (ASPNETCORE_HTTP_PORTS).
var port = 8080
// Until azd deploys the service's image for the first time.
var placeholderImage = 'mcr.microsoft.com/azuredocs/containerapps-helloworld:latest'

module current 'fetch-container-image.bicep' = {
  name: '${name}-current-image'
  params: {
    exists: exists
    name: name
  }
}

resource app 'Microsoft.App/containerApps@2024-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    environmentId: environmentId
    workloadProfileName: 'Consumption'
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: {
        external: externalIngress
        targetPort: port
        transport: 'auto'
        allowInsecure: false
      }
      registries: [
        {
          server: registryLoginServer
          identity: identityId
        }
      ]
      secrets: [for secret in keyVaultSecrets: {
        name: secret.name
        keyVaultUrl: '${keyVaultUri}secrets/${secret.name}'
        identity: identityId
      }]
    }
    template: {
      containers: [
        {
          name: name
          image: current.outputs.containers[?0].?image ?? placeholderImage
          resources: {
            cpu: json('0.5')
            memory: '1Gi'
          }
          env: concat(env, map(filter(keyVaultSecrets, secret => !empty(secret.env)), secret => {
            name: secret.env
            secretRef: secret.name
          }))
          probes: [
            {
              type: 'Startup'
              httpGet: {
                path: '/alive'
                port: port
              }
              periodSeconds: 2
              failureThreshold: 30
            }
            {
              type: 'Liveness'
              httpGet: {
                path: '/alive'
                port: port
              }
              periodSeconds: 10
              failureThreshold: 3
            }
            {
              type: 'Readiness'
              httpGet: {
                path: '/health'
                port: port
              }
              periodSeconds: 5
              failureThreshold: 3
            }
          ]
        }
      ]
      scale: {
        minReplicas: minReplicas
        maxReplicas: maxReplicas
        rules: scaleRules
      }
    }
  }
}

output name string = app.name
output fqdn string = app.properties.configuration.ingress.fqdn
