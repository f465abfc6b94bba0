#!/bin/sh
# azd predeploy hook: build and push the Migrations image, point the migrations job at it, start the job and wait
# for it. Any failure exits non-zero, which fails `azd deploy`/`azd up` before the new Api and Workers revisions are
# deployed. azd runs it from the project root with the provision outputs in the environment.
set -eu

: "${AZURE_RESOURCE_GROUP:?run azd provision first}"
: "${AZURE_CONTAINER_REGISTRY_ENDPOINT:?run azd provision first}"
: "${AZURE_CONTAINER_REGISTRY_NAME:?run azd provision first}"
: "${MIGRATIONS_JOB_NAME:?run azd provision first}"
timeout_seconds="${MIGRATIONS_TIMEOUT_SECONDS:-1800}"

tag="azd-$(date -u +%Y%m%d%H%M%S)"
repository="creator-discovery-platform/migrations"
image="$AZURE_CONTAINER_REGISTRY_ENDPOINT/$repository:$tag"

echo "Building and pushing $image"
az acr login --name "$AZURE_CONTAINER_REGISTRY_NAME" >/dev/null
dotnet publish Migrations/Migrations.csproj -c Release -t:PublishContainer --os linux --arch x64 \
  -p:ContainerRegistry="$AZURE_CONTAINER_REGISTRY_ENDPOINT" \
  -p:ContainerRepository="$repository" \
  -p:ContainerImageTag="$tag"
# The next `azd provision` keeps this image on the job.
azd env set MIGRATIONS_IMAGE "$image"

az containerapp job update --name "$MIGRATIONS_JOB_NAME" --resource-group "$AZURE_RESOURCE_GROUP" --image "$image" >/dev/null
execution=$(az containerapp job start --name "$MIGRATIONS_JOB_NAME" --resource-group "$AZURE_RESOURCE_GROUP" --query name --output tsv)
echo "Migrations running: execution $execution"

waited=0
while :; do
  status=$(az containerapp job execution show --name "$MIGRATIONS_JOB_NAME" --resource-group "$AZURE_RESOURCE_GROUP" \
    --job-execution-name "$execution" --query properties.status --output tsv)
  case "$status" in
    Succeeded)
      echo "Migrations applied."
      exit 0
      ;;
    Failed | Stopped | Degraded)
      echo "Migrations $status: see 'az containerapp job logs show --name $MIGRATIONS_JOB_NAME --resource-group $AZURE_RESOURCE_GROUP --execution $execution --container $MIGRATIONS_JOB_NAME'" >&2
      exit 1
      ;;
  esac
  if [ "$waited" -ge "$timeout_seconds" ]; then
    echo "Migrations still $status after ${timeout_seconds}s; the deployment stops here." >&2
    exit 1
  fi
  sleep 5
  waited=$((waited + 5))
done
