namespace Platform.Core.Audit;

/// <summary>
/// A platform account's ownership was proven (<c>verify_platform_account()</c>, migration 018), in the account's audit
/// stream (<see cref="AuditStreams.PlatformAccount"/>): by whom, how, what it published and whose items it took over.
/// </summary>
public sealed class PlatformAccountVerified
{
    public Guid PlatformAccountId { get; set; }

    public Guid UserId { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary><c>user:&lt;uuid&gt;</c> (the owner, who proved it).</summary>
    public string Actor { get; set; } = string.Empty;

    /// <summary><c>youtube_oauth</c>, <c>feed_description</c> or <c>feed_home_page_meta</c>.</summary>
    public string Method { get; set; } = string.Empty;

    /// <summary>The source: platform and external id (YouTube channel id or feed URL).</summary>
    public string Platform { get; set; } = string.Empty;

    public string ExternalId { get; set; } = string.Empty;

    /// <summary>The account's own items that were waiting for verification and are now public.</summary>
    public int Published { get; set; }

    /// <summary>Items moved to this account from unverified accounts of other users.</summary>
    public int TakenOver { get; set; }

    /// <summary>The other users' unverified accounts of the same source, now deactivated.</summary>
    public List<Guid> DeactivatedAccountIds { get; set; } = [];
}

/// <summary>
/// An unverified platform account lost its source to the verified owner: its items moved and it was deactivated, in
/// that account's audit stream (<see cref="AuditStreams.PlatformAccount"/>).
/// </summary>
public sealed class PlatformAccountTakenOver
{
    public Guid PlatformAccountId { get; set; }

    public Guid UserId { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary><c>user:&lt;uuid&gt;</c>: the verified owner whose verification caused it.</summary>
    public string Actor { get; set; } = string.Empty;

    public string Platform { get; set; } = string.Empty;

    public string ExternalId { get; set; } = string.Empty;

    /// <summary>The verified owner's account that now holds the items.</summary>
    public Guid VerifiedAccountId { get; set; }

    public Guid VerifiedUserId { get; set; }
}
