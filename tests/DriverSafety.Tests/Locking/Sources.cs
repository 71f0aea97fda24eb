namespace DriverSafety.Tests.Locking;

/// <summary>Source fragments several rule tests start from.</summary>
internal static class Sources
{
    /// <summary>The opening of a class with one mutex, a field it guards and a flag to branch on; the test adds members and the closing brace.</summary>
    public const string Dev = """
        public sealed class Dev
        {
            public readonly Mutex M = new Mutex();
            [GuardedBy("M")] public int Count;
            public bool Ready;

        """;
}
