using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NJsonSchema;
using NJsonSchema.CodeGeneration;
using NSwag;
using NSwag.CodeGeneration.CSharp;
using Platform.Api.Tests.Discovery;

namespace Platform.Api.Tests.OpenApi;

public sealed class GeneratedClientFixture : DiscoveryHost
{
    protected override async Task SeedAsync(DiscoveryData data)
    {
        var chef = await data.CreatorAsync("client_chef", displayName: "Client Chef", bio: "Bread");
        var at = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 5; i++)
        {
            await data.ItemAsync(chef, $"Sourdough lesson {i}", publishedAt: at.AddDays(i), category: "food", description: "Flour and water");
        }
    }
}

/// <summary>
/// A C# client generated from <c>/swagger/v1/swagger.json</c> (NSwag.CodeGeneration.CSharp), compiled in memory with
/// Roslyn, reads the public API end to end: the document is accurate enough for a consumer's generator.
/// </summary>
public sealed class GeneratedClientTests(GeneratedClientFixture api) : IClassFixture<GeneratedClientFixture>
{
    [Fact]
    public async Task A_client_generated_from_the_document_compiles_and_reads_the_public_api()
    {
        using var http = api.CreateClient();
        var document = await OpenApiDocument.FromJsonAsync(await http.GetStringAsync("/swagger/v1/swagger.json"));
        var code = new CSharpClientGenerator(document, new CSharpClientGeneratorSettings
        {
            ClassName = "PlatformClient",
            GenerateClientInterfaces = false,
            UseBaseUrl = false,
            CSharpGeneratorSettings =
            {
                Namespace = "Generated",
                JsonLibrary = NJsonSchema.CodeGeneration.CSharp.CSharpJsonLibrary.SystemTextJson,
                PropertyNameGenerator = new PascalCasePropertyNames(),
            },
        }).GenerateFile();

        // C# names in PascalCase, the wire's snake_case names in the attributes.
        Assert.Matches(@"JsonPropertyName\(""next_cursor""\)\]\s+public string NextCursor\b", code);
        Assert.DoesNotContain("Next_cursor", code);

        var assembly = Compile(code);
        dynamic client = Activator.CreateInstance(assembly.GetType("Generated.PlatformClient")!, http)!;

        // The feed, page by page with the cursor.
        var slugs = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await client.PlatformApiFeaturesDiscoveryListContentEndpointAsync(
                null, null, null, "client_chef", null, null, cursor, (int?)2);
            foreach (var card in page.Items)
            {
                slugs.Add((string)card.Slug);
            }

            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null && pages < 10);
        Assert.Equal(3, pages);
        Assert.Equal(5, slugs.Distinct().Count());

        // One item, with its nullable category object.
        var item = await client.PlatformApiFeaturesDiscoveryGetContentEndpointAsync(slugs[0]);
        Assert.Equal("Sourdough lesson 4", (string)item.Title);
        Assert.Equal("food", (string)item.Category.Slug);

        var search = await client.PlatformApiFeaturesDiscoverySearchEndpointAsync("sourdough", null, (int?)10);
        Assert.Equal(5, Enumerable.Count(search.Items));

        var trending = await client.PlatformApiFeaturesDiscoveryListTrendingEndpointAsync(null, null, (int?)10);
        Assert.NotNull(trending.Items);

        var creator = await client.PlatformApiFeaturesDiscoveryGetCreatorEndpointAsync("client_chef", null, (int?)3);
        Assert.Equal("Client Chef", (string)creator.Creator.DisplayName);
        Assert.Equal(3, Enumerable.Count(creator.Items));

        // An error answer surfaces as the client's exception with the status code.
        Exception unknown = await Assert.ThrowsAnyAsync<Exception>(async () =>
            await client.PlatformApiFeaturesDiscoveryGetCreatorEndpointAsync("nobody_here", null, (int?)3));
        Assert.Equal(404, (int)((dynamic)unknown).StatusCode);
    }

    /// <summary>
    /// The consumer's choice NSwag leaves open (NJsonSchema 11.6 only upper-cases the first letter: <c>Next_cursor</c>):
    /// a snake_case JSON name becomes a PascalCase C# property; the generated <c>JsonPropertyName</c> keeps the wire name.
    /// </summary>
    private sealed class PascalCasePropertyNames : IPropertyNameGenerator
    {
        public string Generate(JsonSchemaProperty property)
        {
            var words = property.Name.Split(['_', '-', '.', ' ', '$', '@'], StringSplitOptions.RemoveEmptyEntries);
            var name = string.Concat(words.Select(w => char.ToUpperInvariant(w[0]) + w[1..]));
            return name.Length == 0 || char.IsDigit(name[0]) ? "_" + name : name;
        }
    }

    private static Assembly Compile(string code)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Select(path => MetadataReference.CreateFromFile(path));
        var compilation = CSharpCompilation.Create(
            "Generated.Client",
            [CSharpSyntaxTree.ParseText(code)],
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Disable));
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        return Assembly.Load(stream.ToArray());
    }
}
