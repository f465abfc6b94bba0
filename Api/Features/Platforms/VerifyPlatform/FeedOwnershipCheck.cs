using System.Net.Http;
using AngleSharp.Html.Parser;
using Platform.Core.Ingestion;
using Platform.Core.Ingestion.Feeds;

namespace Platform.Api.Features.Platforms.VerifyPlatform;

/// <summary>Where the token was found (a <see cref="Verification.VerificationMethods"/> value), or where it was looked for.</summary>
public sealed record FeedOwnershipResult(string? Method, IReadOnlyList<string> LookedAt);

/// <summary>The feed or its home page could not be read; <see cref="Exception.Message"/> is safe to show (no address, port or exception text).</summary>
public sealed class FeedUnreadableException(string message) : Exception(message);

/// <summary>
/// Looks for an account's verification token where only the feed's owner can put it: the feed's channel-level
/// <c>&lt;description&gt;</c> (RSS) or <c>&lt;subtitle&gt;</c> (Atom), then <c>&lt;meta name="platform-verification"
/// content="TOKEN"&gt;</c> in the <c>&lt;head&gt;</c> of the home page the feed names (RSS channel <c>&lt;link&gt;</c>, Atom
/// alternate link).
/// Both are fetched through <see cref="FeedClient"/> (the Workers' safe fetcher: public addresses only, total deadline,
/// size bound) and the feed is read by <see cref="FeedParser"/>.
/// </summary>
public sealed class FeedOwnershipCheck(FeedClient feeds, ILogger<FeedOwnershipCheck> logger)
{
    public const string MetaName = "platform-verification";

    /// <exception cref="FeedUnreadableException">The feed could not be fetched or parsed.</exception>
    public async Task<FeedOwnershipResult> CheckAsync(Uri feedUrl, string token, CancellationToken cancellationToken)
    {
        var feed = await FetchAsync(feedUrl, "the feed", cancellationToken);
        ParsedFeed parsed;
        try
        {
            parsed = FeedParser.Parse(feed.Body, feedUrl, feed.DocumentUrl, feed.Charset);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            logger.LogInformation(error, "Ownership check: the feed {Url} could not be parsed", feedUrl);
            throw new FeedUnreadableException(error is FeedTooComplexException or NotAFeedException
                ? $"The feed could not be read: {error.Message}"
                : "The feed could not be read: it is not well-formed RSS or Atom.");
        }

        var lookedAt = new List<string> { $"the channel description/subtitle of the feed {feedUrl}" };
        if (parsed.Description?.Contains(token, StringComparison.Ordinal) == true)
        {
            return new FeedOwnershipResult(Verification.VerificationMethods.FeedDescription, lookedAt);
        }

        if (parsed.SiteUrl is not { } site)
        {
            lookedAt.Add("no home page (the feed names no site link)");
            return new FeedOwnershipResult(null, lookedAt);
        }

        lookedAt.Add($"<meta name=\"{MetaName}\"> on the feed's home page {site}");
        try
        {
            var page = await FetchAsync(site, "the feed's home page", cancellationToken);
            var (html, _) = FeedEncoding.Decode(page.Body, page.Charset);
            using var document = new HtmlParser().ParseDocument(html);
            // Only the <head>: a <meta> in the body can come from the page's visitors (comments, embeds), and markup
            // inside a comment or a script is not an element at all.
            var found = document.Head is { } head && head.QuerySelectorAll("meta[name]")
                .Where(m => string.Equals(m.GetAttribute("name")?.Trim(), MetaName, StringComparison.OrdinalIgnoreCase))
                .Any(m => string.Equals(m.GetAttribute("content")?.Trim(), token, StringComparison.Ordinal));
            return new FeedOwnershipResult(found ? Verification.VerificationMethods.FeedHomePageMeta : null, lookedAt);
        }
        catch (FeedUnreadableException unreadable)
        {
            lookedAt[^1] += $" ({unreadable.Message})";
            return new FeedOwnershipResult(null, lookedAt);
        }
    }

    private async Task<FeedResponse> FetchAsync(Uri url, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await feeds.GetAsync(url, etag: null, lastModified: null, cancellationToken);
        }
        catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation(error, "Ownership check: {What} {Url} could not be fetched", what, url);
            var reason = RefusedUrlException.Find(error) is { } refused ? refused.Message
                : error switch
                {
                    FeedGoneException or FeedUnavailableException or FeedTimeoutException or FeedTooComplexException => error.Message,
                    HttpRequestException { StatusCode: { } status } => $"it answered HTTP {(int)status}.",
                    _ => "it could not be reached.",
                };
            throw new FeedUnreadableException($"{char.ToUpperInvariant(what[0])}{what[1..]} could not be read: {reason}");
        }
    }
}
