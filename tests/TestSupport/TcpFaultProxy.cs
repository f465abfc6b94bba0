using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Platform.TestSupport;

/// <summary>
/// A TCP proxy on loopback in front of a server (PostgreSQL here) that injects network faults: <see cref="ResetAll"/>
/// drops every open connection (what a server restart does to a client's pool) and <see cref="RefuseNew"/> closes new
/// ones at once (the server is down). It can also make LISTEN connections half-open: from
/// <see cref="FreezeListeners"/> on, the bytes of every connection that has sent a <c>LISTEN</c> are dropped in both
/// directions while both sockets stay open (no FIN, no RST), as when a NAT or firewall forgets the flow. A client only
/// notices by a timeout of its own. Connections opened later are forwarded normally, so a client that replaces its
/// connection recovers. <see cref="ReleaseFrozen"/> ends the fault by closing the frozen connections.
/// </summary>
public sealed class TcpFaultProxy : IDisposable
{
    private static readonly byte[] ListenKeyword = Encoding.ASCII.GetBytes("LISTEN ");
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly int upstreamPort;
    private readonly ConcurrentDictionary<ProxiedConnection, byte> connections = new();
    private readonly CancellationTokenSource stopping = new();
    private DateTimeOffset? frozenAt;
    private int listensSinceFreeze;

    public TcpFaultProxy(int upstreamPort)
    {
        this.upstreamPort = upstreamPort;
        listener.Start(512);
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _ = AcceptLoopAsync();
    }

    /// <summary>The port clients connect to.</summary>
    public int Port { get; }

    /// <summary>While true, every new connection is closed as soon as it is accepted (the server is down).</summary>
    public bool RefuseNew { get; set; }

    /// <summary>Connections open now.</summary>
    public int OpenConnections => connections.Count;

    /// <summary>Resets every open connection (RST to the client), as a server restart or crash breaks a pool's connections.</summary>
    public void ResetAll()
    {
        foreach (var connection in connections.Keys)
        {
            connection.Reset();
        }
    }

    /// <summary>LISTEN connections opened since the last <see cref="FreezeListeners"/> (the replacements).</summary>
    public int ListensSinceFreeze => Volatile.Read(ref listensSinceFreeze);

    /// <summary>When the last of the frozen connections' replacements arrived, if all did.</summary>
    public DateTimeOffset? AllReplacedAt { get; private set; }

    /// <summary>How many connections the last freeze made half-open.</summary>
    public int FrozenCount { get; private set; }

    /// <summary>Makes every connection that has issued LISTEN half-open; returns how many.</summary>
    public int FreezeListeners()
    {
        var frozen = 0;
        foreach (var connection in connections.Keys.Where(c => c.IsListener && !c.Frozen))
        {
            connection.Frozen = true;
            frozen++;
        }

        FrozenCount = frozen;
        AllReplacedAt = null;
        Interlocked.Exchange(ref listensSinceFreeze, 0);
        frozenAt = DateTimeOffset.UtcNow;
        return frozen;
    }

    /// <summary>Ends the fault: closes the frozen connections (their clients see the reset now, if still waiting).</summary>
    public void ReleaseFrozen()
    {
        frozenAt = null;
        foreach (var connection in connections.Keys.Where(c => c.Frozen))
        {
            connection.Close();
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(stopping.Token);
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            _ = HandleAsync(client);
        }
    }

    private async Task HandleAsync(Socket client)
    {
        if (RefuseNew)
        {
            client.LingerState = new LingerOption(true, 0);
            client.Dispose();
            return;
        }

        var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, upstreamPort, stopping.Token);
        }
        catch (Exception)
        {
            client.Close(); // the server is down: the client sees a refused/reset connection, as without the proxy
            upstream.Dispose();
            return;
        }

        var connection = new ProxiedConnection(client, upstream);
        connections.TryAdd(connection, 0);
        try
        {
            await Task.WhenAny(PumpAsync(connection, client, upstream, fromClient: true), PumpAsync(connection, upstream, client, fromClient: false));
        }
        finally
        {
            connection.Close();
            connections.TryRemove(connection, out _);
        }
    }

    private async Task PumpAsync(ProxiedConnection connection, Socket from, Socket to, bool fromClient)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, stopping.Token);
                if (read == 0)
                {
                    return;
                }

                if (fromClient && !connection.IsListener && buffer.AsSpan(0, read).IndexOf(ListenKeyword) >= 0)
                {
                    connection.IsListener = true;
                    if (frozenAt is not null && Interlocked.Increment(ref listensSinceFreeze) >= FrozenCount && AllReplacedAt is null)
                    {
                        AllReplacedAt = DateTimeOffset.UtcNow;
                    }
                }

                if (connection.Frozen)
                {
                    continue; // dropped on the floor: the sender's write succeeded, nothing arrives
                }

                var sent = 0;
                while (sent < read)
                {
                    sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, stopping.Token);
                }
            }
        }
        catch (Exception) when (connection.Frozen || stopping.IsCancellationRequested)
        {
            // A frozen connection's pumps only end when the fault is released or a side goes away.
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        stopping.Cancel();
        listener.Stop();
        foreach (var connection in connections.Keys)
        {
            connection.Close();
        }
    }

    private sealed class ProxiedConnection(Socket client, Socket upstream)
    {
        public volatile bool IsListener;
        public volatile bool Frozen;

        public void Close()
        {
            client.Dispose();
            upstream.Dispose();
        }

        public void Reset()
        {
            try
            {
                client.LingerState = new LingerOption(true, 0); // close sends RST
            }
            catch (Exception error) when (error is SocketException or ObjectDisposedException)
            {
            }

            Close();
        }
    }
}
