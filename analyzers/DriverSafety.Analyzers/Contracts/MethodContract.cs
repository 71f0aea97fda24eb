using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Contracts
{
    /// <summary>One lock of an <c>[Acquires]</c>, <c>[Releases]</c>, <c>[Requires]</c>, <c>[Excludes]</c> or <c>[AssertsHeld]</c> annotation.</summary>
    internal sealed class LockClause
    {
        public LockClause(LockExpr lockExpr, bool shared, bool disablesIrqs, int subclass = 0)
        {
            Lock = lockExpr;
            Shared = shared;
            DisablesIrqs = disablesIrqs;
            Subclass = subclass;
        }

        public LockExpr Lock { get; }
        public bool Shared { get; }
        public bool DisablesIrqs { get; }

        /// <summary>Lockdep's nesting subclass of an <c>[Acquires(Subclass = n)]</c>.</summary>
        public int Subclass { get; }

        /// <summary>What makes two clauses the same after resolution, however their text names the lock (§7.4).</summary>
        public string Identity => Summaries.LockIdentity.Of(Lock) + "|" + Shared;
    }

    /// <summary>One lock of a <c>[GuardedBy]</c>: reads and writes need it, or only writes (<c>WritesOnly</c>, RCU-style readers).</summary>
    internal sealed class GuardClause
    {
        public GuardClause(LockExpr lockExpr, bool writesOnly)
        {
            Lock = lockExpr;
            WritesOnly = writesOnly;
        }

        public LockExpr Lock { get; }
        public bool WritesOnly { get; }
    }

    /// <summary>A <c>[TryAcquires]</c> annotation: the locks are held where the result equals <see cref="SuccessValue"/>.</summary>
    internal sealed class TryClause
    {
        public TryClause(ImmutableArray<LockExpr> locks, bool shared, ConditionValue successValue, bool blocking)
        {
            Locks = locks;
            Shared = shared;
            SuccessValue = successValue;
            Blocking = blocking;
        }

        /// <summary>The call may wait for the lock (<c>Blocking</c>, or an <c>[AcquireContext]</c> parameter): it orders locks.</summary>
        public bool Blocking { get; }

        public ImmutableArray<LockExpr> Locks { get; }
        public bool Shared { get; }
        public ConditionValue SuccessValue { get; }
    }

    /// <summary>The lock contract of a method, constructor or accessor: its own annotations plus those it inherits.</summary>
    internal sealed class MethodContract
    {
        public static MethodContract Empty { get; } = new MethodContract(
            ImmutableArray<LockClause>.Empty, ImmutableArray<TryClause>.Empty, ImmutableArray<LockClause>.Empty,
            ImmutableArray<LockClause>.Empty, ImmutableArray<LockClause>.Empty, ImmutableArray<LockClause>.Empty,
            returnsGuard: false, isTrusted: false);

        public MethodContract(
            ImmutableArray<LockClause> acquires,
            ImmutableArray<TryClause> tryAcquires,
            ImmutableArray<LockClause> releases,
            ImmutableArray<LockClause> requires,
            ImmutableArray<LockClause> excludes,
            ImmutableArray<LockClause> assertsHeld,
            bool returnsGuard,
            bool isTrusted)
        {
            Acquires = acquires;
            TryAcquires = tryAcquires;
            Releases = releases;
            Requires = requires;
            Excludes = excludes;
            AssertsHeld = assertsHeld;
            ReturnsGuard = returnsGuard;
            IsTrusted = isTrusted;
        }

        public ImmutableArray<LockClause> Acquires { get; }
        public ImmutableArray<TryClause> TryAcquires { get; }
        public ImmutableArray<LockClause> Releases { get; }
        public ImmutableArray<LockClause> Requires { get; }
        public ImmutableArray<LockClause> Excludes { get; }
        public ImmutableArray<LockClause> AssertsHeld { get; }

        /// <summary>The method returns a <c>[LockGuard]</c> value that holds its acquired locks until disposed.</summary>
        public bool ReturnsGuard { get; }

        /// <summary>
        /// The body is trusted and not analysed: <c>[NoAnalysis]</c>, or a member of a <c>[LockType]</c> or <c>[LockGuard]</c>
        /// type (the primitive's own implementation). Its contract is taken at its word and it has no summary.
        /// </summary>
        public bool IsTrusted { get; }

        public bool HasLockEffects => !Acquires.IsEmpty || !TryAcquires.IsEmpty || !Releases.IsEmpty || !AssertsHeld.IsEmpty;

        /// <summary>Any lock clause at all (a local function with one is checked at its calls rather than inlined, §7.4).</summary>
        public bool HasLockContract => HasLockEffects || !Requires.IsEmpty || !Excludes.IsEmpty;
    }

    /// <summary>The contract of a field or property: its <c>[GuardedBy]</c> locks and, for a property, its <c>[Requires]</c>.</summary>
    internal sealed class MemberContract
    {
        public static MemberContract Empty { get; } = new MemberContract(ImmutableArray<GuardClause>.Empty, ImmutableArray<LockClause>.Empty);

        public MemberContract(ImmutableArray<GuardClause> guardedBy, ImmutableArray<LockClause> requires)
        {
            GuardedBy = guardedBy;
            Requires = requires;
        }

        public ImmutableArray<GuardClause> GuardedBy { get; }
        public ImmutableArray<LockClause> Requires { get; }
    }

    /// <summary>A malformed annotation: reported as DRV9001/DRV9002 at the attribute.</summary>
    internal sealed class AnnotationProblem
    {
        public AnnotationProblem(DiagnosticDescriptor descriptor, Location location, string message)
        {
            Descriptor = descriptor;
            Location = location;
            Message = message;
        }

        public DiagnosticDescriptor Descriptor { get; }
        public Location Location { get; }
        public string Message { get; }
    }

    /// <summary>A constant a condition compares with: a bool, an integer, or null.</summary>
    internal readonly struct ConditionValue : System.IEquatable<ConditionValue>
    {
        private ConditionValue(byte kind, long value)
        {
            Kind = kind;
            Value = value;
        }

        /// <summary>0 = bool, 1 = integer, 2 = null.</summary>
        public byte Kind { get; }
        public long Value { get; }

        public static ConditionValue Bool(bool value) => new ConditionValue(0, value ? 1 : 0);
        public static ConditionValue Integer(long value) => new ConditionValue(1, value);
        public static ConditionValue Null => new ConditionValue(2, 0);

        /// <summary>The other bool for a bool; any other value as it is.</summary>
        public ConditionValue Negated() => Kind == 0 ? Bool(Value == 0) : this;

        public static ConditionValue? FromConstant(object? value) => value switch
        {
            bool b => Bool(b),
            int i => Integer(i),
            long l => Integer(l),
            uint u => Integer(u),
            short s => Integer(s),
            ushort us => Integer(us),
            byte by => Integer(by),
            sbyte sb => Integer(sb),
            null => Null,
            _ => null,
        };

        public bool Equals(ConditionValue other) => Kind == other.Kind && Value == other.Value;
        public override bool Equals(object? obj) => obj is ConditionValue other && Equals(other);
        public override int GetHashCode() => Kind * 397 ^ Value.GetHashCode();
        public override string ToString() => Kind switch { 0 => Value != 0 ? "true" : "false", 1 => Value.ToString(System.Globalization.CultureInfo.InvariantCulture), _ => "null" };
    }
}
