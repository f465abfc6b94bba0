using System.Net.Sockets;
using Npgsql;

namespace Platform.Core.Data;

/// <summary>
/// Tells a database outage (the server unreachable, restarting, crashed, out of connection slots, a connection that
/// broke, the pool exhausted, a statement timed out) from every other database error (a constraint, a bug): an outage
/// is the caller's to retry later (HTTP 503 with <c>Retry-After</c>), anything else is not.
/// </summary>
public static class DatabaseOutage
{
    /// <summary>
    /// True when <paramref name="error"/> or one of its inner exceptions is an outage: SQLSTATE class 08 (connection
    /// exception), 53300 (too_many_connections), 57P01-57P03 (admin_shutdown, crash_shutdown, cannot_connect_now: the
    /// server stopping, crashed or starting), 57014 (query_canceled: the server's <c>statement_timeout</c> cut the
    /// statement off, e.g. while it waited for a lock), a socket or stream error, or a client-side timeout (PostgreSQL
    /// error codes, https://www.postgresql.org/docs/current/errcodes-appendix.html).
    /// </summary>
    public static bool IsOutage(Exception error)
    {
        for (var current = error; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case PostgresException postgres:
                    return postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
                        || postgres.SqlState is PostgresErrorCodes.TooManyConnections or PostgresErrorCodes.AdminShutdown
                            or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
                            or PostgresErrorCodes.QueryCanceled;
                case SocketException or IOException or TimeoutException:
                    return true;
            }
        }

        return false;
    }

    /// <summary>
    /// True when the outage broke connections the pool may still hold idle (the server restarted or crashed, or the
    /// network dropped them): clear the pool, so each of those does not fail one more request in turn.
    /// </summary>
    public static bool BrokeConnections(Exception error)
    {
        for (var current = error; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case PostgresException postgres:
                    return postgres.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown;
                case SocketException or IOException:
                    return true;
            }
        }

        return false;
    }
}
