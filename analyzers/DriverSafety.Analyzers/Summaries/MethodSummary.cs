using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Summaries
{
    /// <summary>A lock a method acquires somewhere in its body (directly or through its callees), in the method's own frame.</summary>
    internal sealed class AcquiredLock
    {
        public AcquiredLock(LockExpr lockExpr, string chain)
        {
            Lock = lockExpr;
            Chain = chain;
        }

        public LockExpr Lock { get; }

        /// <summary>The call chain that proves it, from the method down to the acquiring call (<c>Inner → DmaResv.Lock</c>).</summary>
        public string Chain { get; }

        public string Identity => Lock.Kind + ":" + Lock.ParameterOrdinal + ":" + Lock.StaticType?.ToDisplayString() + ":" + string.Join(".", Lock.Members.Select(m => m.Name));
    }

    /// <summary>Interprocedural facts about one method, inferred from its body: memoised per compilation.</summary>
    internal sealed class MethodSummary
    {
        public static MethodSummary Empty { get; } = new MethodSummary(ImmutableArray<AcquiredLock>.Empty);

        public MethodSummary(ImmutableArray<AcquiredLock> acquires) => Acquires = acquires;

        /// <summary>The locks the method acquires (not try-acquires: a try cannot block), sorted by identity.</summary>
        public ImmutableArray<AcquiredLock> Acquires { get; }

        public bool SameFacts(MethodSummary other) =>
            Acquires.Length == other.Acquires.Length && Acquires.Select(a => a.Identity).SequenceEqual(other.Acquires.Select(a => a.Identity));
    }

    internal interface ISummaryProvider
    {
        MethodSummary Get(IMethodSymbol method);
    }
}
