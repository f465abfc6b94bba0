namespace Platform.Api.Features.Discovery.Shared;

public static class TrendingWindows
{
    public const string Day = "24h";
    public const string Week = "7d";

    public static bool IsValid(string window) => window is Day or Week;
}
