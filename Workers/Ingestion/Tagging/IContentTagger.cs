namespace Platform.Workers.Ingestion.Tagging;

/// <summary>What a tagger sees of a content item.</summary>
public sealed record TaggableContent(Guid Id, string Title, string Description, IReadOnlyList<string> PlatformTags);

/// <summary>A suggested tag (normalized: lowercase, trimmed) and how sure the tagger is (0-1), when it knows.</summary>
public sealed record SuggestedTag(string Tag, float? Confidence);

/// <summary>
/// Suggests topic tags (stored in content_tag with source <c>ai</c>). Built in: <see cref="KeywordTagger"/>; with
/// <c>Tagging__Endpoint</c> set, <see cref="OpenAiCompatibleTagger"/> (any OpenAI-compatible chat completions API).
/// </summary>
public interface IContentTagger
{
    Task<IReadOnlyList<SuggestedTag>> TagAsync(TaggableContent content, CancellationToken cancellationToken);
}

/// <summary>Tagging settings, section <c>Tagging</c>.</summary>
public sealed class TaggingOptions
{
    public const string Section = "Tagging";

    /// <summary>An OpenAI-compatible API base (e.g. <c>https://api.openai.com/v1</c>) or its full <c>/chat/completions</c> URL; unset = keyword tagger.</summary>
    public Uri? Endpoint { get; set; }

    public string? ApiKey { get; set; }

    public string Model { get; set; } = "gpt-4o-mini";

    public int MaxTags { get; set; } = 8;

    /// <summary>
    /// AI tagging calls (one per item) the whole platform may make per UTC day (<c>Tagging__DailyCallLimit</c>, default
    /// 50,000); past it, and past a creator's plan allowance, the keyword tagger runs (<see cref="TaggingRouter"/>).
    /// </summary>
    public int DailyCallLimit { get; set; } = 50_000;
}
