using Npgsql;

namespace Platform.Core.Data;

/// <summary>
/// Keeps a dedicated LISTEN connection honest. A connection can go half-open (a NAT or firewall forgets the flow: no
/// FIN, no RST): the client then waits forever for notifications that never come, because nothing it does fails.
/// Two layers notice it: TCP keepalive on the data source (<see cref="EnableTcpKeepAlive"/>: the kernel probes an idle
/// connection and fails it when the probes go unanswered) and an application-level check (<see cref="WaitAsync"/>:
/// after <c>checkInterval</c> without a notification, <c>SELECT 1</c> with a timeout), which also catches a peer whose
/// kernel still answers probes (a proxy or load balancer that stopped forwarding).
/// </summary>
public static class ListenConnection
{
    /// <summary>Silence on a LISTEN connection before it is checked (seconds): a dead one is replaced within about 2.5× this.</summary>
    public static readonly TimeSpan DefaultCheckInterval = TimeSpan.FromSeconds(5);

    /// <summary>Idle seconds before the first TCP keepalive probe, and seconds between probes (Npgsql <c>Tcp Keepalive Time</c>/<c>Interval</c>).</summary>
    public const int TcpKeepAliveSeconds = 10;

    public const int TcpKeepAliveIntervalSeconds = 2;

    /// <summary>
    /// Waits for notifications on <paramref name="connection"/> (delivered through its <c>Notification</c> event) until
    /// <paramref name="cancellationToken"/> fires. After <paramref name="checkInterval"/> without one, runs
    /// <c>SELECT 1</c> with a command timeout of the same length: on a connection that stopped answering that throws an
    /// <see cref="NpgsqlException"/> (a timeout) after about 2 × <paramref name="checkInterval"/> + Npgsql's
    /// <c>Cancellation Timeout</c> (2 s by default), and the caller replaces the connection.
    /// </summary>
    /// <exception cref="NpgsqlException">The connection broke or stopped answering.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public static async Task WaitAsync(NpgsqlConnection connection, TimeSpan checkInterval, CancellationToken cancellationToken)
    {
        var timeoutSeconds = Math.Max(1, (int)Math.Ceiling(checkInterval.TotalSeconds));
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await connection.WaitAsync(checkInterval, cancellationToken))
            {
                continue;
            }

            await using var check = new NpgsqlCommand("SELECT 1", connection) { CommandTimeout = timeoutSeconds };
            await check.ExecuteScalarAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Turns on TCP keepalive for the data source's connections (<see cref="TcpKeepAliveSeconds"/>, then every
    /// <see cref="TcpKeepAliveIntervalSeconds"/>), unless the connection string sets it already.
    /// </summary>
    public static void EnableTcpKeepAlive(NpgsqlConnectionStringBuilder connection)
    {
        if (connection.TcpKeepAliveTime == 0)
        {
            connection.TcpKeepAliveTime = TcpKeepAliveSeconds;
            connection.TcpKeepAliveInterval = TcpKeepAliveIntervalSeconds;
        }
    }
}
