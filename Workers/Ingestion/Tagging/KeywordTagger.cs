using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Platform.Workers.Ingestion.Tagging;

/// <summary>
/// The built-in tagger: the most salient words of the title (weighted ×3) and description, without stop words,
/// numbers and URLs. Deterministic and free; good enough to make items findable by topic until an LLM is configured.
/// </summary>
public sealed partial class KeywordTagger(IOptions<TaggingOptions> options) : IContentTagger
{
    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "the", "and", "for", "are", "but", "not", "you", "your", "with", "this", "that", "from", "have", "has", "had",
        "was", "were", "will", "would", "can", "could", "should", "all", "any", "our", "out", "its", "it's", "into",
        "about", "what", "when", "where", "which", "who", "why", "how", "more", "most", "some", "such", "than", "then",
        "them", "they", "their", "there", "these", "those", "too", "very", "just", "also", "only", "own", "same", "over",
        "under", "again", "once", "here", "each", "few", "both", "other", "off", "now", "new", "get", "got", "make",
        "made", "one", "two", "three", "first", "last", "like", "use", "using", "used", "way", "watch", "video", "videos",
        "episode", "part", "subscribe", "channel", "http", "https", "www", "com", "don't", "i'm", "i've", "we're", "you're",
        "let's", "via", "per", "off", "day", "days", "time", "times", "vs", "ever", "really", "much", "many", "every",
        "without", "within", "after", "before", "while", "between", "through", "during", "because", "being", "been",
        "does", "did", "doing", "her", "his", "him", "she", "she's", "he's", "who's", "my", "me", "we", "us", "on", "in",
        "at", "by", "to", "of", "or", "an", "a", "is", "it", "as", "be", "if", "so", "no", "up", "do", "go",
    };

    public Task<IReadOnlyList<SuggestedTag>> TagAsync(TaggableContent content, CancellationToken cancellationToken)
    {
        var scores = new Dictionary<string, int>(StringComparer.Ordinal);
        Count(content.Title, 3, scores);
        Count(content.Description, 1, scores);
        var platform = content.PlatformTags.ToHashSet(StringComparer.Ordinal);
        var ranked = scores
            .Where(s => s.Value >= 2 && !platform.Contains(s.Key))
            .OrderByDescending(s => s.Value)
            .ThenBy(s => s.Key, StringComparer.Ordinal)
            .Take(Math.Clamp(options.Value.MaxTags, 1, 20))
            .ToList();
        var best = ranked.Count > 0 ? ranked[0].Value : 1;
        IReadOnlyList<SuggestedTag> tags = ranked
            .Select(s => new SuggestedTag(s.Key, MathF.Round(0.9f * s.Value / best, 2)))
            .ToList();
        return Task.FromResult(tags);
    }

    private static void Count(string text, int weight, Dictionary<string, int> scores)
    {
        foreach (Match match in Words().Matches(Urls().Replace(text, " ")))
        {
            var word = match.Value.Trim('.', '-', '\'').ToLowerInvariant();
            if (word.Length is < 3 or > 40 || StopWords.Contains(word) || word.All(c => char.IsDigit(c) || c == '.'))
            {
                continue;
            }

            scores[word] = scores.GetValueOrDefault(word) + weight;
        }
    }

    [GeneratedRegex(@"[\p{L}\p{N}][\p{L}\p{N}+#.'-]*")]
    private static partial Regex Words();

    [GeneratedRegex(@"\bhttps?://\S+")]
    private static partial Regex Urls();
}
