using System.Collections.Immutable;

namespace DriverSafety.Analyzers.Contracts
{
    /// <summary>The annotations written on one symbol (not inherited), as the family readers parsed them, with their problems.</summary>
    internal sealed class OwnAnnotations
    {
        public ImmutableArray<LockClause> Acquires { get; set; } = ImmutableArray<LockClause>.Empty;
        public ImmutableArray<TryClause> TryAcquires { get; set; } = ImmutableArray<TryClause>.Empty;
        public ImmutableArray<LockClause> Releases { get; set; } = ImmutableArray<LockClause>.Empty;
        public ImmutableArray<LockClause> Requires { get; set; } = ImmutableArray<LockClause>.Empty;
        public ImmutableArray<LockClause> Excludes { get; set; } = ImmutableArray<LockClause>.Empty;
        public ImmutableArray<LockClause> AssertsHeld { get; set; } = ImmutableArray<LockClause>.Empty;
        public ImmutableArray<GuardClause> GuardedBy { get; set; } = ImmutableArray<GuardClause>.Empty;
        public ImmutableArray<LifetimeClause> Lifetimes { get; set; } = ImmutableArray<LifetimeClause>.Empty;
        public bool NoReassign { get; set; }
        public ImmutableArray<AnnotationProblem> Problems { get; set; } = ImmutableArray<AnnotationProblem>.Empty;

        public bool IsEmpty => Acquires.IsEmpty && TryAcquires.IsEmpty && Releases.IsEmpty && Requires.IsEmpty && Excludes.IsEmpty && AssertsHeld.IsEmpty;
    }
}
