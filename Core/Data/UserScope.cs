using Npgsql;

namespace Platform.Core.Data;

/// <summary>
/// A transaction in which row-level security applies to one user: <c>SET LOCAL ROLE app_user</c> and
/// <c>app.user_id</c> set for this transaction only, so a pooled connection carries nothing over.
/// </summary>
public sealed class UserScope : IAsyncDisposable
{
    private UserScope(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        Connection = connection;
        Transaction = transaction;
    }

    public NpgsqlConnection Connection { get; }

    public NpgsqlTransaction Transaction { get; }

    public static async Task<UserScope> BeginAsync(NpgsqlDataSource dataSource, Guid userId, CancellationToken cancellationToken = default)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var command = new NpgsqlCommand(
                "SET LOCAL ROLE app_user; SELECT set_config('app.user_id', @user_id, true)", connection, transaction);
            command.Parameters.AddWithValue("user_id", userId.ToString());
            await command.ExecuteNonQueryAsync(cancellationToken);
            return new UserScope(connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public NpgsqlCommand CreateCommand(string sql) => new(sql, Connection, Transaction);

    public Task CommitAsync(CancellationToken cancellationToken = default) => Transaction.CommitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Transaction.DisposeAsync();
        await Connection.DisposeAsync();
    }
}
