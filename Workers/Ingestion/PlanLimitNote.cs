using System.Text.Json.Nodes;

namespace Platform.Workers.Ingestion;

/// <summary>
/// A plan bound (<see cref="Core.Billing.TierEntitlements"/>) a job ran into: it did what fitted and ends
/// <c>completed</c> (not failed, not retried) with this note as <c>limited</c> in its result.
/// </summary>
/// <param name="Entitlement">The bound's name, e.g. <c>items per account</c>, <c>YouTube quota units per day</c>.</param>
/// <param name="Tier">The plan whose bound applied.</param>
/// <param name="Limit">The bound's value on that plan (items, or units/calls per UTC day).</param>
/// <param name="LeftOut">How many were left out (new items not kept, calls not made); 0 when unknown.</param>
/// <param name="Detail">One sentence for the creator.</param>
public sealed record PlanLimitNote(string Entitlement, string Tier, int Limit, int LeftOut, string Detail)
{
    /// <summary><c>{"entitlement", "tier", "limit", "left_out", "detail"}</c>.</summary>
    public JsonObject ToJson() => new()
    {
        ["entitlement"] = Entitlement,
        ["tier"] = Tier,
        ["limit"] = Limit,
        ["left_out"] = LeftOut,
        ["detail"] = Detail,
    };
}
