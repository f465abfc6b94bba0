using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Core.Data;
using Platform.Core.Ingestion;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;
using Platform.Workers.Ingestion;
using Platform.Workers.Ingestion.YouTube;
using Platform.Workers.Queue;

namespace Platform.Workers.Handlers;

/// <summary>
/// <c>sync_youtube</c>: imports a channel's uploads. Resolves the channel (id or handle) to its uploads playlist, walks
/// the playlist 50 at a time, reads those videos' details, and upserts each page in one transaction (only rows whose
/// content hash changed are written; new and changed rows get <c>tag_content</c> / <c>refresh_media</c> jobs). After
/// Absence is not deletion: a video is marked <c>removed</c> only when YouTube says it is gone (<c>videos.list</c> no
/// longer returns its id, whether the playlist still lists it or not) or when the walk provably covered the whole
/// playlist (it ended and listed at least <c>pageInfo.totalResults</c> videos). Otherwise (YouTube stops paging an
/// uploads playlist at about 20,000 videos, or a page came back short) up to <see cref="MaxVerifiedPerSync"/> stored
/// videos the walk did not see are checked with <c>videos.list</c>. Quota exhaustion reschedules the job to after
/// YouTube's daily reset without using an attempt; an unknown channel fails permanently.
/// </summary>
/// <remarks>
/// Plan bounds: every API call first takes a unit from the user's daily budget (<see cref="YouTubeUnitBudget"/>), and
/// the store keeps no more items than the plan allows (<see cref="ContentStore"/>); at either bound the walk stops and
/// the sync completes with what it imported and a <c>limited</c> note (<see cref="PlanLimitNote"/>), not failed and not
/// retried. A channel another account walked to its end recently is walked only up to the uploads already stored
/// (<see cref="ChannelWalks"/>; <c>walk</c> in the result: <c>full</c> or <c>new_uploads</c>).
/// </remarks>
public sealed class SyncYouTubeHandler(
    NpgsqlDataSource dataSource,
    YouTubeClient youtube,
    ContentStore store,
    DiscoveryCacheInvalidator invalidator,
    IOptions<IngestionOptions> options,
    IOptions<YouTubeOptions> youtubeOptions,
    TimeProvider time) : JobHandler<SyncYouTubeArgs>
{
    /// <summary>A safety stop for a playlist that pages forever (YouTube caps a playlist at 20,000 items).</summary>
    private const int MaxPages = 1000;

    /// <summary>Stored videos an incomplete walk did not see that one sync checks with videos.list (50 per quota unit).</summary>
    public const int MaxVerifiedPerSync = 1000;

    protected override async Task<JsonNode?> HandleAsync(SyncYouTubeArgs args, JobContext context, CancellationToken cancellationToken)
    {
        var account = await PlatformAccount.FindAsync(dataSource, args.PlatformAccountId, cancellationToken);
        if (account is null || !account.IsActive || account.Platform != "youtube")
        {
            return new JsonObject { ["skipped"] = "the account is disconnected or inactive" };
        }

        if (!await SyncLease.TryAcquireAsync(dataSource, account.Id, context.Job.Id, SyncYouTubeArgs.Definition.Timeout, cancellationToken))
        {
            return new JsonObject { ["skipped"] = "another sync of this account is running" };
        }

        var totals = new Totals();
        try
        {
            var budget = await YouTubeUnitBudget.ForUserAsync(dataSource, account.UserId, cancellationToken);
            return await SyncAsync(context, account, budget, totals, cancellationToken);
        }
        catch (YouTubeQuotaExceededException quota)
        {
            throw new JobRescheduleException(AfterQuotaReset(), $"YouTube quota exhausted ({quota.Reason}); trying again after the daily reset");
        }
        finally
        {
            await SyncLease.ReleaseAsync(dataSource, account.Id, context.Job.Id);
            if (totals.Changed > 0)
            {
                await invalidator.ContentChangedAsync(account.UserId);
            }
        }
    }

    private async Task<JsonNode?> SyncAsync(
        JobContext context, PlatformAccount account, YouTubeUnitBudget budget, Totals totals, CancellationToken cancellationToken)
    {
        // 1. The channel and its uploads playlist (a handle becomes the channel id on the first sync).
        var channelId = ChannelReference.IsChannelId(account.ExternalId) ? account.ExternalId : null;
        string? handle = null, title = null;
        var uploads = account.UploadsPlaylistId;
        if (uploads is null || channelId is null)
        {
            if (!await budget.TrySpendAsync(cancellationToken))
            {
                await context.ReportProgressAsync(100, "today's YouTube quota units of the plan are used up", cancellationToken);
                return new JsonObject { ["channel_id"] = channelId, ["videos"] = 0, ["api_calls"] = 0, ["limited"] = budget.Exhausted!.ToJson() };
            }

            var channel = await youtube.FindChannelAsync(channelId, channelId is null ? account.Handle ?? account.ExternalId : null, cancellationToken);
            totals.ApiCalls++;
            if (channel is null)
            {
                throw new PermanentJobFailureException($"YouTube has no channel {account.ExternalId}; check the channel id or handle.");
            }

            channelId = channel.Id;
            handle = channel.Snippet?.CustomUrl;
            title = channel.Snippet?.Title;
            uploads = channel.ContentDetails?.RelatedPlaylists?.Uploads;
            if (string.IsNullOrEmpty(uploads))
            {
                throw new YouTubeApiException($"channels.list returned channel {channel.Id} without contentDetails.relatedPlaylists.uploads.");
            }
        }

        // 2. The uploads playlist, page by page; each page's videos in one videos.list call and one transaction. After a
        //    recent walk of the channel by another account, only up to the first page of videos stored already.
        var newUploadsOnly = await ChannelWalks.WalkedRecentlyByAnotherAsync(
            dataSource, channelId, account.Id, youtubeOptions.Value.SharedWalkMaxAge, cancellationToken);
        PlanLimitNote? limited = null;
        var listed = new HashSet<string>(StringComparer.Ordinal);
        var inPlaylist = new HashSet<string>(StringComparer.Ordinal);
        var alive = new HashSet<string>(StringComparer.Ordinal);
        var gone = new HashSet<string>(StringComparer.Ordinal);
        var seenTokens = new HashSet<string>(StringComparer.Ordinal);
        var walkEnded = false;
        var playlistMissing = false;
        string? pageToken = null;
        var total = 0;
        var done = 0;
        for (var page = 0; page < MaxPages; page++)
        {
            if (!await budget.TrySpendAsync(cancellationToken))
            {
                break;
            }

            PlaylistItemListResponse playlist;
            try
            {
                playlist = await youtube.ListPlaylistPageAsync(uploads, pageToken, cancellationToken);
                totals.ApiCalls++;
            }
            catch (YouTubeNotFoundException) when (page == 0)
            {
                // YouTube answers playlistNotFound for the uploads playlist of a channel without public videos: that
                // lists nothing, so it proves nothing; the stored videos are checked one by one below.
                walkEnded = true;
                playlistMissing = true;
                break;
            }

            total = Math.Max(total, playlist.PageInfo?.TotalResults ?? 0);
            var entries = playlist.Items ?? [];
            if (entries.Any(e => string.IsNullOrEmpty(e.ContentDetails?.VideoId)))
            {
                throw new YouTubeApiException("playlistItems.list returned an item without contentDetails.videoId.");
            }

            var publishedAt = entries.GroupBy(e => e.ContentDetails!.VideoId!).ToDictionary(g => g.Key, g => g.First().ContentDetails!.VideoPublishedAt);
            var items = new List<ImportedItem>(publishedAt.Count);
            if (newUploadsOnly && publishedAt.Count > 0
                && (await store.StoredAsync(account.Platform, publishedAt.Keys, cancellationToken)).Count == publishedAt.Count)
            {
                break; // caught up with what is stored: the rest of the list was walked recently
            }

            if (publishedAt.Count > 0 && !await budget.TrySpendAsync(cancellationToken))
            {
                break;
            }

            if (publishedAt.Count > 0)
            {
                var videos = await youtube.GetVideosAsync(publishedAt.Keys, cancellationToken);
                totals.ApiCalls++;
                foreach (var video in videos)
                {
                    try
                    {
                        items.Add(YouTubeVideoMapper.ToItem(video, publishedAt.GetValueOrDefault(video.Id)));
                    }
                    catch (YouTubeApiException unreadable)
                    {
                        // One video YouTube describes incompletely never costs the page (and is not gone either).
                        totals.Dropped++;
                        totals.DroppedReasons.Add(unreadable.Message);
                    }
                }

                inPlaylist.UnionWith(publishedAt.Keys);
                alive.UnionWith(videos.Select(v => v.Id).Where(id => id is not null));
                gone.UnionWith(publishedAt.Keys.Except(videos.Select(v => v.Id ?? string.Empty), StringComparer.Ordinal));
            }

            var outcome = await store.UpsertPageAsync(account, items, cancellationToken);
            totals.Add(outcome, items.Count);
            var kept = items.Select(i => i.ExternalId).Except(outcome.Dropped.Select(d => d.ExternalId)).ToList();
            if (outcome.Limited is not null)
            {
                // Left out by the plan: not stored, so not listed either.
                var stored = await store.StoredAsync(account.Platform, kept, cancellationToken);
                kept = kept.Where(stored.Contains).ToList();
            }

            listed.UnionWith(kept);
            done += entries.Count;
            await context.ReportProgressAsync(
                total > 0 ? Math.Min(99, done * 100 / total) : 99, $"{done} of {Math.Max(total, done)} videos", cancellationToken);
            if (outcome.Limited is not null)
            {
                limited = outcome.Limited; // later pages are older uploads: no room for them either
                break;
            }

            pageToken = playlist.NextPageToken;
            if (string.IsNullOrEmpty(pageToken))
            {
                walkEnded = true;
                break;
            }

            if (!seenTokens.Add(pageToken))
            {
                throw new YouTubeApiException($"playlistItems.list returned page token {pageToken} twice.");
            }
        }

        // 3. What is gone: what videos.list no longer returns; everything unlisted only after a provably complete listing.
        var complete = walkEnded && !playlistMissing && inPlaylist.Count >= total;
        var removed = await store.MarkGoneAsync(account, gone, cancellationToken);
        if (complete)
        {
            removed += await store.MarkRemovedAsync(account, alive, cancellationToken);
        }
        else if (budget.Exhausted is null)
        {
            var unseen = await store.UnseenAsync(account, inPlaylist, MaxVerifiedPerSync, cancellationToken);
            foreach (var chunk in unseen.Chunk(YouTubeClient.MaxPageSize))
            {
                if (!await budget.TrySpendAsync(cancellationToken))
                {
                    break;
                }

                var returned = (await youtube.GetVideosAsync(chunk, cancellationToken)).Select(v => v.Id).ToHashSet(StringComparer.Ordinal);
                totals.ApiCalls++;
                removed += await store.MarkGoneAsync(account, chunk.Where(id => !returned.Contains(id)).ToList(), cancellationToken);
            }
        }

        totals.Removed = removed;
        if (walkEnded && !playlistMissing)
        {
            await ChannelWalks.RecordAsync(dataSource, channelId, account.Id, inPlaylist.Count, cancellationToken);
        }

        limited ??= budget.Exhausted;

        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            try
            {
                await SyncLease.CompleteAsync(
                    connection, null, account, options.Value.DefaultSyncInterval, cancellationToken,
                    externalId: channelId, handle: handle?.ToLowerInvariant(), title: title, uploadsPlaylistId: uploads);
            }
            catch (PostgresException conflict) when (conflict.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                throw new PermanentJobFailureException($"Channel {channelId} is already connected to your account under its id; disconnect one of the two.");
            }
        }

        await context.ReportProgressAsync(100, $"{done} videos: {totals.Inserted} new, {totals.Updated} changed, {removed} removed", cancellationToken);
        return new JsonObject
        {
            ["channel_id"] = channelId,
            ["videos"] = listed.Count,
            ["inserted"] = totals.Inserted,
            ["updated"] = totals.Updated,
            ["unchanged"] = totals.Unchanged,
            ["counters_refreshed"] = totals.CountersRefreshed,
            ["removed"] = removed,
            ["dropped"] = totals.Dropped,
            ["dropped_reasons"] = new JsonArray(totals.DroppedReasons.Take(20).Select(r => (JsonNode)JsonValue.Create(PostgresText.Truncate(r, 500))!).ToArray()),
            ["complete"] = complete,
            ["walk"] = newUploadsOnly ? "new_uploads" : "full",
            ["api_calls"] = totals.ApiCalls,
            ["limited"] = limited?.ToJson(),
        };
    }

    /// <summary>YouTube's daily quota resets at midnight Pacific time; spread the retries over the following minutes.</summary>
    private DateTimeOffset AfterQuotaReset()
    {
        var now = time.GetUtcNow();
        TimeZoneInfo pacific;
        try
        {
            pacific = TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles");
        }
        catch (TimeZoneNotFoundException)
        {
            return now.AddHours(1);
        }

        var local = TimeZoneInfo.ConvertTime(now, pacific);
        var midnight = new DateTimeOffset(local.Date.AddDays(1), pacific.GetUtcOffset(local.Date.AddDays(1)));
        return midnight.ToUniversalTime().AddMinutes(5 + Random.Shared.Next(0, 30));
    }

    private sealed class Totals
    {
        public int Inserted;
        public int Updated;
        public int Unchanged;
        public int CountersRefreshed;
        public int Removed;
        public int Dropped;
        public int ApiCalls;

        public List<string> DroppedReasons { get; } = [];

        public int Changed => Inserted + Updated + Removed;

        public void Add(UpsertOutcome outcome, int items)
        {
            Inserted += outcome.Inserted;
            Updated += outcome.Updated;
            Unchanged += items - outcome.Changed - outcome.Dropped.Count;
            Dropped += outcome.Dropped.Count;
            DroppedReasons.AddRange(outcome.Dropped.Select(d => $"{d.ExternalId}: {d.Reason}"));
            CountersRefreshed += outcome.CountersRefreshed;
        }
    }
}
