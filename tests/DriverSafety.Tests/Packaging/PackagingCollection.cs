using Xunit;

namespace DriverSafety.Tests.Packaging
{
    /// <summary>
    /// The tests that consume the packed package (<see cref="PackagingTests"/>, <see cref="EditorHostTests"/>): one pack for
    /// all of them, and they run one after the other (each starts child builds, on a machine of two cores).
    /// </summary>
    [CollectionDefinition(Name)]
    public sealed class PackagingCollection : ICollectionFixture<PackagingTests.PackedPackage>
    {
        public const string Name = "Packaging";
    }
}
