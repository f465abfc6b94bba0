namespace Platform.Workers;

/// <summary>Names this assembly for hosts that start the Workers in-process (the tests' WebApplicationFactory).</summary>
public sealed class WorkersEntryPoint;
