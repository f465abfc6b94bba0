namespace Platform.Core.Jobs;

/// <summary>Job statuses as the database stores them and the API shows them.</summary>
public static class JobStatus
{
    /// <summary>Waiting to run, including waiting for a retry.</summary>
    public const string Pending = "pending";
    public const string Processing = "processing";
    public const string Completed = "completed";
    /// <summary>Attempts exhausted (or a permanent failure); the last error is kept.</summary>
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static readonly IReadOnlySet<string> All = new HashSet<string> { Pending, Processing, Completed, Failed, Cancelled };

    public static bool IsTerminal(string status) => status is Completed or Failed or Cancelled;
}
