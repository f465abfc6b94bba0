using System.Text.Json.Nodes;
using System.Xml;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Core.Data;
using Platform.Core.Ingestion;
using Platform.Core.Ingestion.Feeds;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;
using Platform.Workers.Ingestion;
using Platform.Workers.Queue;

namespace Platform.Workers.Handlers;

/// <summary>
/// <c>sync_feed</c>: one conditional GET of an RSS / Atom feed (304: nothing to do), then every entry upserted in
/// one transaction together with the new ETag / Last-Modified, so validators never get ahead of the rows. Entries that
/// drop off a feed are never marked removed: feeds list only their latest entries, so absence proves nothing. Entries
/// that cannot be read or stored are dropped one by one and reported in the result (<c>dropped</c>,
/// <c>dropped_entries</c>: position, title, reason), never the page. A feed in an encoding that does not exist, or that
/// is no feed, fails permanently; a 404/410 too, and so do a refused URL (<see cref="SafeHttpHandler"/>) and a document
/// over a parsing bound (<see cref="FeedParser.Limits"/>). Errors name no address, port or exception text (users read
/// them); the detail goes to the log. Over the plan's item bounds the new entries that do not fit are left out and the
/// sync still completes, with <c>limited</c> in its result (<see cref="PlanLimitNote"/>); the validators are then
/// forgotten, so the next sync reads the whole feed again (room may have been made, or the plan upgraded).
/// </summary>
public sealed partial class SyncFeedHandler(
    NpgsqlDataSource dataSource,
    FeedClient feeds,
    ContentStore store,
    DiscoveryCacheInvalidator invalidator,
    IOptions<IngestionOptions> options,
    ILogger<SyncFeedHandler> logger) : JobHandler<SyncFeedArgs>
{
    protected override async Task<JsonNode?> HandleAsync(SyncFeedArgs args, JobContext context, CancellationToken cancellationToken)
    {
        var account = await PlatformAccount.FindAsync(dataSource, args.PlatformAccountId, cancellationToken);
        if (account is null || !account.IsActive || account.Platform != "feed")
        {
            return new JsonObject { ["skipped"] = "the account is disconnected or inactive" };
        }

        if (!await SyncLease.TryAcquireAsync(dataSource, account.Id, context.Job.Id, SyncFeedArgs.Definition.Timeout, cancellationToken))
        {
            return new JsonObject { ["skipped"] = "another sync of this account is running" };
        }

        var outcome = UpsertOutcome.None;
        try
        {
            var url = new Uri(account.Url ?? account.ExternalId);
            FeedResponse response;
            try
            {
                response = await feeds.GetAsync(url, account.ETag, account.LastModified, cancellationToken);
            }
            catch (FeedGoneException gone)
            {
                throw new PermanentJobFailureException(gone.Message);
            }
            catch (FeedTooComplexException tooLarge)
            {
                throw new PermanentJobFailureException(tooLarge.Message);
            }
            catch (Exception error) when (RefusedUrlException.Find(error) is { } refused)
            {
                LogRefused(account.Id, refused.Detail);
                throw new PermanentJobFailureException($"The feed cannot be fetched: {refused.Message}");
            }
            catch (HttpRequestException error) when (!cancellationToken.IsCancellationRequested)
            {
                LogFetchFailed(account.Id, error);
                throw new FeedUnavailableException(error.StatusCode is { } status
                    ? $"The feed's server answered HTTP {(int)status}; the sync will be retried."
                    : "The feed's server could not be reached; the sync will be retried.");
            }

            if (response.NotModified)
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                await SyncLease.CompleteAsync(connection, null, account, options.Value.DefaultSyncInterval, cancellationToken);
                await context.ReportProgressAsync(100, "not modified since the last sync", cancellationToken);
                return new JsonObject { ["not_modified"] = true, ["items"] = 0 };
            }

            ParsedFeed feed;
            try
            {
                feed = FeedParser.Parse(response.Body, url, response.DocumentUrl, response.Charset);
            }
            catch (FeedTooComplexException tooComplex)
            {
                // Over a bound is over it next time too: fail at once, with the bound.
                throw new PermanentJobFailureException(tooComplex.Message);
            }
            catch (NotAFeedException notAFeed)
            {
                throw new PermanentJobFailureException(notAFeed.Message);
            }
            catch (FeedEncodingException undecodable)
            {
                // The same bytes decode no better next time: fail now, with the reason, instead of retrying.
                throw new PermanentJobFailureException(undecodable.Message);
            }
            catch (XmlException malformed)
            {
                // A broken or truncated document may be fixed by the next attempt; nothing has been written.
                throw new JobFailureException($"The feed {url} is not well-formed XML: {malformed.Message}", malformed);
            }

            outcome = await store.UpsertPageAsync(account, feed.Items, cancellationToken, (connection, transaction) =>
                SyncLease.CompleteAsync(
                    connection, transaction, account, options.Value.DefaultSyncInterval, cancellationToken,
                    title: feed.Title, etag: response.ETag, lastModified: response.LastModified));
            if (outcome.Limited is not null)
            {
                await using var forget = dataSource.CreateCommand("UPDATE platform_account SET etag = NULL, last_modified = NULL WHERE id = @id");
                forget.Parameters.AddWithValue("id", account.Id);
                await forget.ExecuteNonQueryAsync(cancellationToken);
            }

            var dropped = feed.Dropped.Concat(outcome.Dropped.Select(d => new DroppedEntry(
                feed.Items.Select((item, index) => (item, index)).FirstOrDefault(x => x.item.ExternalId == d.ExternalId).index + 1,
                feed.Items.FirstOrDefault(i => i.ExternalId == d.ExternalId)?.Title,
                d.Reason))).OrderBy(d => d.Position).ToList();
            var kept = feed.Items.Count - outcome.Dropped.Count - (outcome.Limited?.LeftOut ?? 0);
            await context.ReportProgressAsync(
                100, $"{kept} entries: {outcome.Inserted} new, {outcome.Updated} changed, {dropped.Count} dropped", cancellationToken);
            return new JsonObject
            {
                ["not_modified"] = false,
                ["items"] = kept,
                ["inserted"] = outcome.Inserted,
                ["updated"] = outcome.Updated,
                ["unchanged"] = kept - outcome.Changed,
                ["limited"] = outcome.Limited?.ToJson(),
                ["dropped"] = dropped.Count,
                ["dropped_entries"] = new JsonArray(dropped.Take(MaxReportedDrops).Select(d => (JsonNode)new JsonObject
                {
                    ["position"] = d.Position,
                    ["title"] = d.Title,
                    ["reason"] = PostgresText.Truncate(d.Reason, 500),
                }).ToArray()),
            };
        }
        finally
        {
            await SyncLease.ReleaseAsync(dataSource, account.Id, context.Job.Id);
            if (outcome.Changed > 0)
            {
                await invalidator.ContentChangedAsync(account.UserId);
            }
        }
    }

    /// <summary>At most this many dropped entries are listed in the result (all are counted).</summary>
    private const int MaxReportedDrops = 20;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Feed of account {AccountId} refused: {Detail}")]
    private partial void LogRefused(Guid accountId, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Feed of account {AccountId} could not be fetched")]
    private partial void LogFetchFailed(Guid accountId, Exception error);
}
