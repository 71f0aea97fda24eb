using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Flow.Domains
{
    /// <summary>What the body's own contract says about the context it starts in.</summary>
    internal enum ContextBase
    {
        /// <summary>Process context: it may sleep unless something here raises a depth or takes a spinning lock.</summary>
        None,

        /// <summary>An <c>[AtomicContext]</c> body (or a lambda converted to such a delegate type).</summary>
        Atomic,

        /// <summary>An <c>[AtomicContext(IrqsOff = true)]</c> body: a hard IRQ handler.</summary>
        IrqsOff,
    }

    /// <summary>The bits a flag test has decided for one flags parameter of the walked method on this path.</summary>
    internal readonly struct ParameterBits : System.IEquatable<ParameterBits>
    {
        public ParameterBits(int ordinal, ulong one, ulong zero)
        {
            Ordinal = ordinal;
            One = one;
            Zero = zero;
        }

        public int Ordinal { get; }
        public ulong One { get; }
        public ulong Zero { get; }

        public bool Equals(ParameterBits other) => Ordinal == other.Ordinal && One == other.One && Zero == other.Zero;
        public override bool Equals(object? obj) => obj is ParameterBits other && Equals(other);
        public override int GetHashCode() => Ordinal ^ One.GetHashCode() ^ Zero.GetHashCode();
    }

    /// <summary>
    /// The execution-context facts at a point (klint's preempt count, SPEC §3.2, §7.8–7.12): the body's base context,
    /// the atomic and IRQ-off depth raised by <c>[EntersAtomic]</c>/<c>[DisablesIrqs]</c> calls (each with the call that
    /// raised it; depth owned by a spinning lock lives with the lock in the lock domain, §7.8), the allocation-flag masks
    /// in force, and what flag tests decided about the method's flags parameters. Raises dropped where paths of
    /// different depth met (§7.12b) are kept to be reported once, and the depth they leave is slack a later lowering may use.
    /// </summary>
    internal sealed class ContextState
    {
        public const int MaxSlack = 4;

        public static ContextState Empty { get; } = new ContextState(ContextBase.None, null, null, ImmutableArray<IOperation?>.Empty, ImmutableArray<IOperation?>.Empty,
            ImmutableArray<ulong>.Empty, ImmutableArray<ParameterBits>.Empty, ImmutableArray<IOperation>.Empty, 0, 0);

        public ContextState(ContextBase baseContext, string? baseName, Location? baseLocation, ImmutableArray<IOperation?> atomicRaises, ImmutableArray<IOperation?> irqRaises,
            ImmutableArray<ulong> masks, ImmutableArray<ParameterBits> parameters, ImmutableArray<IOperation> dropped, int atomicSlack, int irqSlack)
        {
            Base = baseContext;
            BaseName = baseName;
            BaseLocation = baseLocation;
            AtomicRaises = atomicRaises;
            IrqRaises = irqRaises;
            Masks = masks;
            Parameters = parameters;
            Dropped = dropped;
            AtomicSlack = atomicSlack;
            IrqSlack = irqSlack;
        }

        public ContextBase Base { get; }

        /// <summary>What declared the base context (a method name, a delegate type), for messages.</summary>
        public string? BaseName { get; }
        public Location? BaseLocation { get; }

        /// <summary>One entry per raised atomic depth: the call that raised it (null for depth the body's contract owes on entry).</summary>
        public ImmutableArray<IOperation?> AtomicRaises { get; }
        public ImmutableArray<IOperation?> IrqRaises { get; }

        /// <summary>The allocation-flag masks in force, innermost last.</summary>
        public ImmutableArray<ulong> Masks { get; }
        public ImmutableArray<ParameterBits> Parameters { get; }

        /// <summary>Raises dropped at a merge of paths with different depth (one DRV2003 each, §7.12b).</summary>
        public ImmutableArray<IOperation> Dropped { get; }
        public int AtomicSlack { get; }
        public int IrqSlack { get; }

        public ulong Mask
        {
            get
            {
                ulong mask = 0;
                foreach (var m in Masks)
                {
                    mask |= m;
                }

                return mask;
            }
        }

        public ParameterBits ParameterBits(int ordinal)
        {
            foreach (var p in Parameters)
            {
                if (p.Ordinal == ordinal)
                {
                    return p;
                }
            }

            return new ParameterBits(ordinal, 0, 0);
        }

        public ContextState With(
            ImmutableArray<IOperation?>? atomicRaises = null, ImmutableArray<IOperation?>? irqRaises = null, ImmutableArray<ulong>? masks = null,
            ImmutableArray<ParameterBits>? parameters = null, ImmutableArray<IOperation>? dropped = null, int? atomicSlack = null, int? irqSlack = null) =>
            new ContextState(Base, BaseName, BaseLocation, atomicRaises ?? AtomicRaises, irqRaises ?? IrqRaises, masks ?? Masks, parameters ?? Parameters,
                dropped ?? Dropped, atomicSlack ?? AtomicSlack, irqSlack ?? IrqSlack);

        public ContextState WithBase(ContextBase baseContext, string? name, Location? location) =>
            new ContextState(baseContext, name, location, AtomicRaises, IrqRaises, Masks, Parameters, Dropped, AtomicSlack, IrqSlack);

        /// <summary>The path learnt <paramref name="one"/>/<paramref name="zero"/> about a flags parameter; null when it contradicts what is known.</summary>
        public ContextState? Learn(int ordinal, ulong one, ulong zero)
        {
            var known = ParameterBits(ordinal);
            var newOne = known.One | one;
            var newZero = known.Zero | zero;
            if ((newOne & newZero) != 0)
            {
                return null;
            }

            var updated = Parameters.RemoveAll(p => p.Ordinal == ordinal).Add(new ParameterBits(ordinal, newOne, newZero));
            return With(parameters: updated.Sort((a, b) => a.Ordinal.CompareTo(b.Ordinal)));
        }

        public bool SameAs(ContextState other) =>
            Base == other.Base && AtomicSlack == other.AtomicSlack && IrqSlack == other.IrqSlack &&
            AtomicRaises.SequenceEqual(other.AtomicRaises) && IrqRaises.SequenceEqual(other.IrqRaises) && Masks.SequenceEqual(other.Masks) &&
            Parameters.SequenceEqual(other.Parameters) && Dropped.SequenceEqual(other.Dropped);
    }

    /// <summary>
    /// The context domain. Where paths meet with different depths the shallower depth goes on and the deeper path's extra
    /// raises are dropped, to be reported once each (§7.12b); masks keep what both paths mask; a flags parameter keeps
    /// the bits both paths decided.
    /// </summary>
    internal sealed class ContextDomain : Domain<ContextState>
    {
        public override ContextState EmptyValue => ContextState.Empty;

        public override ContextState Join(ContextState left, ContextState right, MergeContext merge) => Meet(left, right, keepLeftDepth: false);

        public override ContextState LoopBackEdge(ContextState entry, ContextState backEdge, MergeContext merge) => Meet(entry, backEdge, keepLeftDepth: true);

        public override bool Equal(ContextState left, ContextState right) => left.SameAs(right);

        public override int Hash(ContextState value) => value.AtomicRaises.Length * 31 + value.IrqRaises.Length * 7 + value.Masks.Length;

        private static ContextState Meet(ContextState left, ContextState right, bool keepLeftDepth)
        {
            if (left.SameAs(right))
            {
                return left;
            }

            var dropped = left.Dropped.Union(right.Dropped);
            var (atomic, atomicDropped, atomicSlack) = MeetDepth(left.AtomicRaises, right.AtomicRaises, keepLeftDepth);
            var (irq, irqDropped, irqSlack) = MeetDepth(left.IrqRaises, right.IrqRaises, keepLeftDepth);
            dropped = dropped.Union(atomicDropped).Union(irqDropped);

            var masks = left.Masks.Length <= right.Masks.Length ? left.Masks : right.Masks;
            var other = ReferenceEquals(masks, left.Masks) ? right.Masks : left.Masks;
            if (!masks.SequenceEqual(other.Take(masks.Length)))
            {
                masks = masks.Select((m, i) => m & other[i]).ToImmutableArray();
            }

            var parameters = left.Parameters
                .Select(l => (l, r: right.ParameterBits(l.Ordinal)))
                .Select(p => new ParameterBits(p.l.Ordinal, p.l.One & p.r.One, p.l.Zero & p.r.Zero))
                .Where(p => p.One != 0 || p.Zero != 0)
                .ToImmutableArray();

            return new ContextState(left.Base, left.BaseName, left.BaseLocation, atomic, irq, masks, parameters,
                dropped.OrderBy(o => o.Syntax.SpanStart).ToImmutableArray(),
                System.Math.Min(ContextState.MaxSlack, System.Math.Max(left.AtomicSlack, right.AtomicSlack) + atomicSlack),
                System.Math.Min(ContextState.MaxSlack, System.Math.Max(left.IrqSlack, right.IrqSlack) + irqSlack));
        }

        private static (ImmutableArray<IOperation?> Raises, ImmutableArray<IOperation> Dropped, int Slack) MeetDepth(ImmutableArray<IOperation?> left, ImmutableArray<IOperation?> right, bool keepLeft)
        {
            if (left.SequenceEqual(right))
            {
                return (left, ImmutableArray<IOperation>.Empty, 0);
            }

            var kept = keepLeft ? left : left.Length <= right.Length ? left : right;
            var deeper = left.Length > right.Length ? left : right;
            var shallow = System.Math.Min(left.Length, right.Length);
            var dropped = deeper.Skip(shallow).Where(o => o is not null).Select(o => o!).ToImmutableArray();
            var slack = left.Length == right.Length ? 0 : 1;
            if (keepLeft && left.Length > right.Length)
            {
                // A loop whose body lowers more than it raises: the entry depth stays; the lowering is reported where it happens.
                dropped = ImmutableArray<IOperation>.Empty;
            }

            return (kept, dropped, slack);
        }
    }
}
