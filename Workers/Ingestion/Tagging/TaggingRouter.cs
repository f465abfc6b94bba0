using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Core.Billing;

namespace Platform.Workers.Ingestion.Tagging;

/// <summary>Tags of one item and who made them.</summary>
/// <param name="ByModel">True when the configured model answered (one AI call spent), false for the keyword tagger.</param>
/// <param name="Limited">Why the keyword tagger ran instead of the model, when a bound decided it.</param>
public sealed record RoutedTags(IReadOnlyList<SuggestedTag> Tags, bool ByModel, PlanLimitNote? Limited);

/// <summary>
/// Chooses the tagger of each item: the configured model (<see cref="IContentTagger"/> when <c>Tagging__Endpoint</c> is
/// set) while both the creator's plan (<see cref="TierEntitlement.MaxTaggingCallsPerDay"/>) and the platform
/// (<see cref="TaggingOptions.DailyCallLimit"/>) have a call left today (UTC day, <see cref="DailyAllowance"/>), else the
/// free <see cref="KeywordTagger"/>. One call is taken from both allowances in one transaction, or from neither.
/// </summary>
public sealed class TaggingRouter(NpgsqlDataSource dataSource, IContentTagger tagger, KeywordTagger keywords, IOptions<TaggingOptions> options)
{
    /// <summary>Whether a model is configured at all (else every item gets keyword tags and no allowance is spent).</summary>
    public bool HasModel => tagger is not KeywordTagger;

    public async Task<RoutedTags> TagAsync(TaggableContent content, Guid creatorId, CancellationToken cancellationToken)
    {
        if (!HasModel)
        {
            return new RoutedTags(await keywords.TagAsync(content, cancellationToken), false, null);
        }

        if (await TakeCallAsync(creatorId, cancellationToken) is { } limited)
        {
            return new RoutedTags(await keywords.TagAsync(content, cancellationToken), false, limited);
        }

        return new RoutedTags(await tagger.TagAsync(content, cancellationToken), true, null);
    }

    /// <summary>Takes one AI call from the creator's and the platform's allowance; the bound that refused, or null.</summary>
    private async Task<PlanLimitNote?> TakeCallAsync(Guid creatorId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var user = await TierEntitlements.TakeDailyAsync(connection, transaction, creatorId, DailyAllowance.TaggingCalls, 1, cancellationToken);
        if (!user.Allowed)
        {
            return new PlanLimitNote(
                user.Entitlement, user.Tier, user.Limit, 1,
                $"The {user.Tier} plan allows {user.Limit} AI tagging calls a day; today's are used up, so keyword tags were made instead.");
        }

        var limit = options.Value.DailyCallLimit;
        var platform = await DailyAllowance.TakeAsync(connection, transaction, DailyAllowance.TaggingCalls, DailyAllowance.Platform, 1, limit, cancellationToken);
        if (!platform.Allowed)
        {
            await transaction.RollbackAsync(cancellationToken); // the creator's call is not spent either
            return new PlanLimitNote(
                "platform AI tagging calls per day", user.Tier, limit, 1,
                "The platform's AI tagging calls for today are used up, so keyword tags were made instead.");
        }

        await transaction.CommitAsync(cancellationToken);
        return null;
    }
}
