// The migrations runner as a Container Apps job with a manual trigger: the predeploy hook (infra/hooks/migrate.sh)
// points it at the new image, starts it and waits for it; a failed run fails the deployment, and no new revision of
// the Api or the Workers is deployed before it succeeded. One replica, no retries (the runner's lock and history
// make a rerun safe, but a failure should stop the deployment, not loop).
param name string
param location string
param tags object
@description('The migrations image; empty before the first deploy (a placeholder that is never started).')
param image string
param environmentId string
param identityId string
param registryLoginServer string
param keyVaultUri string
@description('Plain environment variables: { name, value }.')
param env array

var placeholderImage = 'mcr.microsoft.com/azuredocs/containerapps-helloworld:latest'

resource job 'Microsoft.App/jobs@2024-03-01' = {
  name: name
  location: location
  tags: tags
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
      triggerType: 'Manual'
      manualTriggerConfig: {
        parallelism: 1
        replicaCompletionCount: 1
      }
      replicaTimeout: 1800
      replicaRetryLimit: 0
      registries: [
        {
          server: registryLoginServer
          identity: identityId
        }
      ]
      secrets: [
        {
          name: 'platformdb-connection-string'
          keyVaultUrl: '${keyVaultUri}secrets/platformdb-connection-string'
          identity: identityId
        }
      ]
    }
    template: {
      containers: [
        {
          name: name
          image: empty(image) ? placeholderImage : image
          args: [
            'apply'
          ]
          resources: {
            cpu: json('0.5')
            memory: '1Gi'
          }
          env: concat(env, [
            {
              name: 'ConnectionStrings__platformdb'
              secretRef: 'platformdb-connection-string'
            }
          ])
        }
      ]
    }
  }
}

output name string = job.name
