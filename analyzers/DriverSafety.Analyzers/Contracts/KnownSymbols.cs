using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using DriverSafety.Analyzers.Contracts.Annotations;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Contracts
{
    /// <summary>The attribute and framework symbols the analysis needs, resolved once per compilation.</summary>
    internal sealed class KnownSymbols
    {
        private KnownSymbols(Compilation compilation, ImmutableArray<AdditionalText> additionalFiles, CancellationToken cancellation)
        {
            // One search of every assembly finds the annotations assembly; the other attributes are looked up in it (each
            // compilation-wide search walks every reference again), or, failing that, in the whole compilation.
            LockType = compilation.GetTypeByMetadataName("DriverSafety.LockTypeAttribute");
            _annotations = LockType?.ContainingAssembly;
            Acquires = Get(compilation, "AcquiresAttribute");
            TryAcquires = Get(compilation, "TryAcquiresAttribute");
            Releases = Get(compilation, "ReleasesAttribute");
            Requires = Get(compilation, "RequiresAttribute");
            Excludes = Get(compilation, "ExcludesAttribute");
            AssertsHeld = Get(compilation, "AssertsHeldAttribute");
            GuardedBy = Get(compilation, "GuardedByAttribute");
            LockGuard = Get(compilation, "LockGuardAttribute");
            AcquiredBefore = Get(compilation, "AcquiredBeforeAttribute");
            AcquiredAfter = Get(compilation, "AcquiredAfterAttribute");
            NoAnalysis = Get(compilation, "NoAnalysisAttribute");
            InvokedBeforeReturn = Get(compilation, "InvokedBeforeReturnAttribute");
            AcquireContext = Get(compilation, "AcquireContextAttribute");
            ReclaimContext = Get(compilation, "ReclaimContextAttribute");
            MightSleep = Get(compilation, "MightSleepAttribute");
            AtomicContext = Get(compilation, "AtomicContextAttribute");
            EntersAtomic = Get(compilation, "EntersAtomicAttribute");
            ExitsAtomic = Get(compilation, "ExitsAtomicAttribute");
            DisablesIrqs = Get(compilation, "DisablesIrqsAttribute");
            EnablesIrqs = Get(compilation, "EnablesIrqsAttribute");
            RequiresIrqsEnabled = Get(compilation, "RequiresIrqsEnabledAttribute");
            AllocationFlags = Get(compilation, "AllocationFlagsAttribute");
            MaySleepFlag = Get(compilation, "MaySleepFlagAttribute");
            ReclaimFlag = Get(compilation, "ReclaimFlagAttribute");
            Allocates = Get(compilation, "AllocatesAttribute");
            MasksAllocationFlags = Get(compilation, "MasksAllocationFlagsAttribute");
            UnmasksAllocationFlags = Get(compilation, "UnmasksAllocationFlagsAttribute");
            Begins = Get(compilation, "BeginsAttribute");
            Ends = Get(compilation, "EndsAttribute");
            RequiresState = Get(compilation, "RequiresStateAttribute");
            RequiresNotState = Get(compilation, "RequiresNotStateAttribute");
            EnsuresState = Get(compilation, "EnsuresStateAttribute");
            EnsuresNotState = Get(compilation, "EnsuresNotStateAttribute");
            StateTest = Get(compilation, "StateTestAttribute");
            NoReassign = Get(compilation, "NoReassignAttribute");
            Monitor = compilation.GetTypeByMetadataName("System.Threading.Monitor");
            Annotations = GuardedBy is null || Acquires is null || LockType is null
                ? AnnotationSource.CreateEmpty()
                : AnnotationSource.Create(compilation, additionalFiles, cancellation);
        }

        /// <summary>Every symbol's annotations: its attributes and the external annotations files' lines (ask here, never <c>GetAttributes()</c>).</summary>
        public AnnotationSource Annotations { get; }

        // Every attribute of SPEC section 3, in its order: locks (3.1), execution context (3.2), lifetimes and states (3.3).
        public INamedTypeSymbol? LockType { get; }
        public INamedTypeSymbol? Acquires { get; }
        public INamedTypeSymbol? TryAcquires { get; }
        public INamedTypeSymbol? Releases { get; }
        public INamedTypeSymbol? Requires { get; }
        public INamedTypeSymbol? Excludes { get; }
        public INamedTypeSymbol? AssertsHeld { get; }
        public INamedTypeSymbol? GuardedBy { get; }
        public INamedTypeSymbol? LockGuard { get; }
        public INamedTypeSymbol? AcquiredBefore { get; }
        public INamedTypeSymbol? AcquiredAfter { get; }
        public INamedTypeSymbol? NoAnalysis { get; }
        public INamedTypeSymbol? InvokedBeforeReturn { get; }
        public INamedTypeSymbol? AcquireContext { get; }
        public INamedTypeSymbol? ReclaimContext { get; }
        public INamedTypeSymbol? MightSleep { get; }
        public INamedTypeSymbol? AtomicContext { get; }
        public INamedTypeSymbol? EntersAtomic { get; }
        public INamedTypeSymbol? ExitsAtomic { get; }
        public INamedTypeSymbol? DisablesIrqs { get; }
        public INamedTypeSymbol? EnablesIrqs { get; }
        public INamedTypeSymbol? RequiresIrqsEnabled { get; }
        public INamedTypeSymbol? AllocationFlags { get; }
        public INamedTypeSymbol? MaySleepFlag { get; }
        public INamedTypeSymbol? ReclaimFlag { get; }
        public INamedTypeSymbol? Allocates { get; }
        public INamedTypeSymbol? MasksAllocationFlags { get; }
        public INamedTypeSymbol? UnmasksAllocationFlags { get; }
        public INamedTypeSymbol? Begins { get; }
        public INamedTypeSymbol? Ends { get; }
        public INamedTypeSymbol? RequiresState { get; }
        public INamedTypeSymbol? RequiresNotState { get; }
        public INamedTypeSymbol? EnsuresState { get; }
        public INamedTypeSymbol? EnsuresNotState { get; }
        public INamedTypeSymbol? StateTest { get; }
        public INamedTypeSymbol? NoReassign { get; }

        public INamedTypeSymbol? Monitor { get; }

        /// <summary>Resolves the symbols, or returns null when the compilation does not reference DriverSafety.Annotations.</summary>
        public static KnownSymbols? TryCreate(Compilation compilation) => TryCreate(compilation, ImmutableArray<AdditionalText>.Empty, CancellationToken.None);

        /// <summary>Resolves the symbols and reads the external annotations files among <paramref name="additionalFiles"/>.</summary>
        public static KnownSymbols? TryCreate(Compilation compilation, ImmutableArray<AdditionalText> additionalFiles, CancellationToken cancellation)
        {
            var known = new KnownSymbols(compilation, additionalFiles, cancellation);
            return known.GuardedBy is null || known.Acquires is null || known.LockType is null ? null : known;
        }

        public static bool Is(AttributeData attribute, INamedTypeSymbol? type) =>
            type is not null && SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, type);

        public static bool Is(Annotation annotation, INamedTypeSymbol? type) =>
            type is not null && SymbolEqualityComparer.Default.Equals(annotation.AttributeClass, type);

        /// <summary>The symbol's annotations, from source, metadata and the external annotations files.</summary>
        public ImmutableArray<Annotation> AttributesOf(ISymbol? symbol) => Annotations.Of(symbol);

        /// <summary>True when the symbol carries the attribute, written in source, compiled in, or in an external annotations file.</summary>
        public bool Has(ISymbol? symbol, INamedTypeSymbol? type) => type is not null && AttributesOf(symbol).Any(a => Is(a, type));

        private readonly IAssemblySymbol? _annotations;

        private INamedTypeSymbol? Get(Compilation compilation, string name) =>
            _annotations?.GetTypeByMetadataName("DriverSafety." + name) ?? compilation.GetTypeByMetadataName("DriverSafety." + name);
    }
}
