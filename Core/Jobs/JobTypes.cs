using System.Text.Json;
using Platform.Core.Jobs.Args;

namespace Platform.Core.Jobs;

/// <summary>
/// The catalog of job types: every args record (<c>Core/Jobs/Args</c>) listed once, looked up by wire name by the
/// Api (<c>POST /api/jobs</c>: access, payload validation) and the Workers (policies of a claimed job).
/// </summary>
public static class JobTypes
{
    private static readonly Dictionary<string, Entry> Entries = new Entry[]
    {
        Entry.Of<EchoArgs>(),
        Entry.Of<EchoCachedArgs>(),
        Entry.Of<StripeWebhookArgs>(),
        Entry.Of<StripeReconcileArgs>(),
        Entry.Of<SyncYouTubeArgs>(),
        Entry.Of<SyncFeedArgs>(),
        Entry.Of<TagContentArgs>(),
        Entry.Of<RefreshMediaArgs>(),
    }.ToDictionary(e => e.Definition.Name, StringComparer.Ordinal);

    private static readonly JobTypeDefinition[] Definitions = [.. Entries.Values.Select(e => e.Definition)];

    public static IReadOnlyCollection<JobTypeDefinition> All => Definitions;

    public static bool TryGet(string name, out JobTypeDefinition definition)
    {
        var found = Entries.TryGetValue(name, out var entry);
        definition = entry?.Definition!;
        return found;
    }

    /// <summary>
    /// Checks <paramref name="payload"/> against the args record of job type <paramref name="name"/>, its types and its
    /// validator (<see cref="JobPayload.Validate{TArgs}"/>), and returns what did not fit (field → what it must be), empty when it fits.
    /// </summary>
    /// <exception cref="ArgumentException">No job type is named <paramref name="name"/>.</exception>
    public static IReadOnlyDictionary<string, string> CheckPayload(string name, JsonElement payload) =>
        Entries.TryGetValue(name, out var entry) ? entry.Check(payload) : throw new ArgumentException($"Unknown job type '{name}'.", nameof(name));

    private sealed record Entry(JobTypeDefinition Definition, Func<JsonElement, IReadOnlyDictionary<string, string>> Check)
    {
        public static Entry Of<TArgs>()
            where TArgs : class, IJobArgs<TArgs> => new(TArgs.Definition, payload => JobPayload.Validate<TArgs>(payload).Errors);
    }
}
