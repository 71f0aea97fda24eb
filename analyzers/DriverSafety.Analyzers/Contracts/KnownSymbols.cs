using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Contracts
{
    /// <summary>The attribute and framework symbols the analysis needs, resolved once per compilation.</summary>
    internal sealed class KnownSymbols
    {
        private KnownSymbols(Compilation compilation)
        {
            LockType = Get(compilation, "LockTypeAttribute");
            Acquires = Get(compilation, "AcquiresAttribute");
            TryAcquires = Get(compilation, "TryAcquiresAttribute");
            Releases = Get(compilation, "ReleasesAttribute");
            Requires = Get(compilation, "RequiresAttribute");
            Excludes = Get(compilation, "ExcludesAttribute");
            AssertsHeld = Get(compilation, "AssertsHeldAttribute");
            GuardedBy = Get(compilation, "GuardedByAttribute");
            LockGuard = Get(compilation, "LockGuardAttribute");
            Allocates = Get(compilation, "AllocatesAttribute");
            AllocationFlags = Get(compilation, "AllocationFlagsAttribute");
            AcquiredBefore = Get(compilation, "AcquiredBeforeAttribute");
            AcquiredAfter = Get(compilation, "AcquiredAfterAttribute");
            Begins = Get(compilation, "BeginsAttribute");
            Ends = Get(compilation, "EndsAttribute");
            RequiresState = Get(compilation, "RequiresStateAttribute");
            RequiresNotState = Get(compilation, "RequiresNotStateAttribute");
            EnsuresState = Get(compilation, "EnsuresStateAttribute");
            EnsuresNotState = Get(compilation, "EnsuresNotStateAttribute");
            StateTest = Get(compilation, "StateTestAttribute");
            Monitor = compilation.GetTypeByMetadataName("System.Threading.Monitor");
        }

        public INamedTypeSymbol? LockType { get; }
        public INamedTypeSymbol? Acquires { get; }
        public INamedTypeSymbol? TryAcquires { get; }
        public INamedTypeSymbol? Releases { get; }
        public INamedTypeSymbol? Requires { get; }
        public INamedTypeSymbol? Excludes { get; }
        public INamedTypeSymbol? AssertsHeld { get; }
        public INamedTypeSymbol? GuardedBy { get; }
        public INamedTypeSymbol? LockGuard { get; }
        public INamedTypeSymbol? Allocates { get; }
        public INamedTypeSymbol? AllocationFlags { get; }
        public INamedTypeSymbol? AcquiredBefore { get; }
        public INamedTypeSymbol? AcquiredAfter { get; }
        public INamedTypeSymbol? Begins { get; }
        public INamedTypeSymbol? Ends { get; }
        public INamedTypeSymbol? RequiresState { get; }
        public INamedTypeSymbol? RequiresNotState { get; }
        public INamedTypeSymbol? EnsuresState { get; }
        public INamedTypeSymbol? EnsuresNotState { get; }
        public INamedTypeSymbol? StateTest { get; }
        public INamedTypeSymbol? Monitor { get; }

        /// <summary>Resolves the symbols, or returns null when the compilation does not reference DriverSafety.Annotations.</summary>
        public static KnownSymbols? TryCreate(Compilation compilation)
        {
            var known = new KnownSymbols(compilation);
            return known.GuardedBy is null || known.Acquires is null || known.LockType is null ? null : known;
        }

        public static bool Is(AttributeData attribute, INamedTypeSymbol? type) =>
            type is not null && SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, type);

        private static INamedTypeSymbol? Get(Compilation compilation, string name) =>
            compilation.GetTypeByMetadataName("DriverSafety." + name);
    }
}
