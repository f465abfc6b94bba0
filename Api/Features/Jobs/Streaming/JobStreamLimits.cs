using Platform.Api.Http;
using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.Extensions.Options;

namespace Platform.Api.Features.Jobs.Streaming;

/// <summary>Caps of live job streams (SSE and WebSocket together), section <c>Jobs</c>.</summary>
public sealed class JobStreamOptions
{
    public const string Section = "Jobs";

    /// <summary>Streams one user may hold open at once in one Api process.</summary>
    public int MaxStreamsPerUser { get; set; } = 5;

    /// <summary>Streams one Api process holds open at once, all users together.</summary>
    public int MaxStreams { get; set; } = 1000;

    /// <summary>
    /// Seconds between the hub's re-reads of every streamed job (one query for all of them, whatever the number of
    /// streams), in case a NOTIFY was missed; also the heartbeat period of an idle stream.
    /// </summary>
    public double RecheckSeconds { get; set; } = 5;
}

/// <summary>
/// Counts open streams per user and per process: a stream over either cap is refused (429 problem) before it
/// subscribes or reads anything. Also when a stream must end: at its bearer token's expiry (<c>exp</c>), so a stream
/// never outlives the credential that opened it.
/// </summary>
public sealed class JobStreamLimits(IOptions<JobStreamOptions> options, TimeProvider clock)
{
    private readonly ConcurrentDictionary<Guid, int> perUser = new();
    private readonly Lock gate = new();
    private int total;

    /// <summary>A slot for one stream of <paramref name="userId"/>, released on dispose; null when a cap is reached.</summary>
    public IDisposable? TryOpen(Guid userId)
    {
        var settings = options.Value;
        lock (gate)
        {
            var mine = perUser.GetValueOrDefault(userId);
            if (total >= settings.MaxStreams || mine >= settings.MaxStreamsPerUser)
            {
                return null;
            }

            perUser[userId] = mine + 1;
            total++;
        }

        return new Slot(this, userId);
    }

    /// <summary>
    /// The longest wait a stream's expiry timer is given (<c>CancellationTokenSource.CancelAfter</c> refuses more than
    /// about 49 days; <c>dotnet user-jwts</c> tokens live 3 months): a stream outliving it is cut then, which is sooner.
    /// </summary>
    public static readonly TimeSpan MaxRemaining = TimeSpan.FromMilliseconds(int.MaxValue);

    /// <summary>How long the caller's token remains valid (its <c>exp</c> claim), at most <see cref="MaxRemaining"/>; null when it has none.</summary>
    public TimeSpan? Remaining(ClaimsPrincipal user) =>
        long.TryParse(user.FindFirstValue("exp"), out var exp)
            ? TimeSpan.FromSeconds(Math.Clamp(exp - clock.GetUtcNow().ToUnixTimeSeconds(), 0, (long)MaxRemaining.TotalSeconds))
            : null;

    /// <summary>The 429 problem of a refused stream.</summary>
    public static IResult TooMany(HttpContext context) =>
        Problems.RetryLater(context, StatusCodes.Status429TooManyRequests, "Too many live streams",
            "Close another stream of a job first (or poll GET /api/jobs/{id}).", 5);

    private void Release(Guid userId)
    {
        lock (gate)
        {
            total--;
            var left = perUser.GetValueOrDefault(userId) - 1;
            if (left <= 0)
            {
                perUser.TryRemove(userId, out _);
            }
            else
            {
                perUser[userId] = left;
            }
        }
    }

    private sealed class Slot(JobStreamLimits limits, Guid userId) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                limits.Release(userId);
            }
        }
    }
}
