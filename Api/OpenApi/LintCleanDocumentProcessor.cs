using NJsonSchema;
using NSwag;
using NSwag.Generation.Processors;
using NSwag.Generation.Processors.Contexts;

namespace Platform.Api.OpenApi;

/// <summary>
/// Makes the generated document say what the Api does where NSwag's defaults are ambiguous, so that
/// <c>redocly lint</c> (recommended rules) finds nothing (tested by <c>OpenApiLintTests</c>):
/// <list type="bullet">
/// <item>an operation without a security requirement (anonymous endpoints, and <c>/webhooks/stripe</c>, which is
/// authenticated by its <c>Stripe-Signature</c> header instead of a bearer token) declares <c>security: [{}]</c>
/// (OpenAPI 3.0.3 §4.7.10: an empty requirement object means no authentication), rule <c>security-defined</c>;</item>
/// <item><c>nullable</c> never stands without <c>type</c> (OpenAPI 3.0.3: <c>nullable</c> only applies beside
/// <c>type</c>), rule <c>nullable-type-sibling</c>: a nullable reference (NSwag writes <c>oneOf: [$ref]</c>) becomes
/// <c>type: object, nullable: true, allOf: [$ref]</c>; a free-form JSON value (<c>JsonElement?</c>), which has no
/// type and so already admits any value including null, loses the meaningless <c>nullable</c>;</item>
/// <item>schemas no operation references (route- or query-only request classes) are removed, rule
/// <c>no-unused-components</c>.</item>
/// </list>
/// </summary>
public sealed class LintCleanDocumentProcessor : IDocumentProcessor
{
    private const string SchemaPrefix = "\"#/components/schemas/";

    public void Process(DocumentProcessorContext context)
    {
        var document = context.Document;

        foreach (var description in document.Operations)
        {
            if (description.Operation.Security is null || description.Operation.Security.Count == 0)
            {
                // NSwag leaves an empty array out, so the one empty requirement ({}: nothing required) says it.
                description.Operation.Security = [new OpenApiSecurityRequirement()];
            }
        }

        foreach (var schema in document.Components.Schemas.Values)
        {
            foreach (var property in schema.ActualProperties.Values)
            {
                FixNullable(property);
            }
        }

        RemoveUnusedSchemas(document);
    }

    private static void FixNullable(JsonSchema schema)
    {
        if (schema.IsNullableRaw != true || schema.Type != JsonObjectType.None)
        {
            return;
        }

        if (schema.OneOf.Count == 1 && schema.AllOf.Count == 0)
        {
            var only = schema.OneOf.Single();
            schema.OneOf.Clear();
            schema.AllOf.Add(only);
            schema.Type = JsonObjectType.Object;
        }
        else if (schema.OneOf.Count == 0 && schema.AnyOf.Count == 0 && schema.AllOf.Count == 0 && !schema.HasReference)
        {
            schema.IsNullableRaw = null;
        }
    }

    private static void RemoveUnusedSchemas(OpenApiDocument document)
    {
        bool removed;
        do
        {
            removed = false;
            var json = document.ToJson();
            foreach (var name in document.Components.Schemas.Keys.ToList())
            {
                if (!json.Contains(SchemaPrefix + name + "\"", StringComparison.Ordinal))
                {
                    document.Components.Schemas.Remove(name);
                    removed = true;
                }
            }
        }
        while (removed);
    }
}
