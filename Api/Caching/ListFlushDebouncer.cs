using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Options;
using Platform.Api.Features.Discovery;
using Platform.Core.Discovery;

namespace Platform.Api.Caching;

/// <summary>
/// This replica's flush of the lists (<see cref="DiscoveryCacheTags.ListTags"/>) after scoped changes (a creator's
/// sync, tagging or media, a profile edit): at most one flush per <see cref="DiscoveryOptions.ListFlushSeconds"/>.
/// The first request after a quiet period flushes at once (leading edge); requests within the period coalesce into one
/// flush at its end (trailing edge), so a list is never staler than the period and a burst of any size costs one flush.
/// </summary>
public sealed partial class ListFlushDebouncer(HybridCache cache, IOptions<DiscoveryOptions> options, TimeProvider time, ILogger<ListFlushDebouncer> logger)
{
    private readonly TimeSpan period = TimeSpan.FromSeconds(Math.Max(0, options.Value.ListFlushSeconds));
    private readonly Lock gate = new();
    private long lastFlush = long.MinValue;
    private bool scheduled;
    private long flushes;

    /// <summary>Flushes this replica has made (for tests and diagnostics).</summary>
    public long Flushes => Interlocked.Read(ref flushes);

    /// <summary>Asks for a flush of the lists: now, or at the end of the current period if one was made within it.</summary>
    public void Request()
    {
        TimeSpan wait;
        lock (gate)
        {
            if (scheduled)
            {
                return; // the trailing flush already pending covers this change
            }

            var now = time.GetTimestamp();
            wait = lastFlush == long.MinValue ? TimeSpan.Zero : period - time.GetElapsedTime(lastFlush, now);
            if (wait <= TimeSpan.Zero)
            {
                lastFlush = now;
            }
            else
            {
                scheduled = true;
            }
        }

        if (wait <= TimeSpan.Zero)
        {
            _ = FlushAsync();
        }
        else
        {
            _ = FlushLaterAsync(wait);
        }
    }

    private async Task FlushLaterAsync(TimeSpan wait)
    {
        await Task.Delay(wait, time).ConfigureAwait(false);
        lock (gate)
        {
            scheduled = false;
            lastFlush = time.GetTimestamp();
        }

        await FlushAsync().ConfigureAwait(false);
    }

    private async Task FlushAsync()
    {
        Interlocked.Increment(ref flushes);
        try
        {
            await cache.RemoveByTagAsync(DiscoveryCacheTags.ListTags).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            // Never thrown into a Redis callback; entries then live out their (short) local lifetime.
            LogFlushFailed(error);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Could not flush the cached discovery lists")]
    private partial void LogFlushFailed(Exception error);
}
