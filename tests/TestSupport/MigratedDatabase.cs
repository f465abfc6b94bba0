using Npgsql;
using Xunit;

namespace Platform.TestSupport;

/// <summary>Class fixture: a fresh database with every migration applied, dropped after the class's tests.</summary>
public class MigratedDatabase : IAsyncLifetime
{
    private NpgsqlDataSource? dataSource;

    public string ConnectionString { get; private set; } = string.Empty;

    public NpgsqlDataSource DataSource => dataSource ?? throw new InvalidOperationException("The fixture is not initialized");

    public virtual async Task InitializeAsync()
    {
        ConnectionString = await TestInfrastructure.CreateMigratedDatabaseAsync(GetType().Name);
        dataSource = NpgsqlDataSource.Create(ConnectionString);
    }

    public virtual async Task DisposeAsync()
    {
        if (dataSource is not null)
        {
            await dataSource.DisposeAsync();
        }

        if (ConnectionString.Length > 0)
        {
            await TestInfrastructure.DropDatabaseAsync(ConnectionString);
        }
    }

    public async Task<T?> ScalarAsync<T>(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }
}
