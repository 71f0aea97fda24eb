using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Analyzers.Flow.Domains;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Flow
{
    /// <summary>The call may sleep: <c>[MightSleep]</c>, or a blocking .NET call from the models table.</summary>
    internal sealed class MaySleep : Effect
    {
        public MaySleep(string reason) => Reason = reason;

        public string Reason { get; }
    }

    /// <summary>The call needs IRQs enabled (<c>[RequiresIrqsEnabled]</c>: <c>dma_free_coherent</c>).</summary>
    internal sealed class NeedsIrqsEnabled : Effect
    {
    }

    /// <summary>An <c>[Allocates]</c> call: it may sleep when its flags, after the masks in force, may contain a may-sleep bit.</summary>
    internal sealed class Allocate : Effect
    {
        public Allocate(int flagsParameter, FlagsType flags)
        {
            FlagsParameter = flagsParameter;
            Flags = flags;
        }

        public int FlagsParameter { get; }
        public FlagsType Flags { get; }
    }

    /// <summary>Which depth a depth effect moves.</summary>
    internal enum DepthKind
    {
        Atomic,
        Irqs,
    }

    /// <summary><c>[EntersAtomic]</c>/<c>[DisablesIrqs]</c> (raise) or <c>[ExitsAtomic]</c>/<c>[EnablesIrqs]</c> (lower), after the call.</summary>
    internal sealed class ChangeDepth : Effect
    {
        public ChangeDepth(DepthKind kind, bool raise)
        {
            Kind = kind;
            Raise = raise;
        }

        public DepthKind Kind { get; }
        public bool Raise { get; }

        public override FlowState Apply(FlowState state, EffectContext context)
        {
            var ctx = state.Context;
            var raises = Kind == DepthKind.Atomic ? ctx.AtomicRaises : ctx.IrqRaises;
            if (Raise)
            {
                raises = raises.Add(context.Site.Operation);
            }
            else if (!raises.IsEmpty)
            {
                raises = raises.RemoveAt(raises.Length - 1);
            }
            else
            {
                // Lowering at depth zero: slack left by a merge of unequal depths is used up (the mistake was reported there).
                return state.WithContext(Kind == DepthKind.Atomic
                    ? ctx.With(atomicSlack: System.Math.Max(0, ctx.AtomicSlack - 1))
                    : ctx.With(irqSlack: System.Math.Max(0, ctx.IrqSlack - 1)));
            }

            return state.WithContext(Kind == DepthKind.Atomic ? ctx.With(atomicRaises: raises) : ctx.With(irqRaises: raises));
        }
    }

    /// <summary><c>[MasksAllocationFlags]</c> (push a mask) or <c>[UnmasksAllocationFlags]</c> (pop the innermost).</summary>
    internal sealed class ChangeMask : Effect
    {
        public ChangeMask(ulong? mask) => Mask = mask;

        /// <summary>The bits masked from here on; null for an unmask.</summary>
        public ulong? Mask { get; }

        public override FlowState Apply(FlowState state, EffectContext context)
        {
            var masks = state.Context.Masks;
            masks = Mask is { } mask ? masks.Add(mask) : masks.IsEmpty ? masks : masks.RemoveAt(masks.Length - 1);
            return state.WithContext(state.Context.With(masks: masks));
        }
    }

    /// <summary>
    /// A method group converted to an <c>[AtomicContext]</c> delegate type (an IRQ handler given to <c>RequestIrq</c>):
    /// the method will run in atomic context (with IRQs off where the type says so), checked here through its contract
    /// and summary (§7.12a).
    /// </summary>
    internal sealed class AtomicConversion : Effect
    {
        public AtomicConversion(INamedTypeSymbol delegateType, bool irqsOff)
        {
            DelegateType = delegateType;
            IrqsOff = irqsOff;
        }

        public INamedTypeSymbol DelegateType { get; }
        public bool IrqsOff { get; }
    }

    /// <summary>
    /// The execution-context family's effects (SPEC §3.2): from the callee's context contract, or for an unannotated
    /// .NET member from the models table of blocking calls.
    /// </summary>
    internal sealed class ContextEffects : IEffectSource
    {
        public bool AddEffects(CallSite site, FlowState before, EffectResolution resolution, ImmutableArray<Effect>.Builder effects)
        {
            var contexts = resolution.Contracts.Context;
            if (site.ConvertedTo is { } delegateType)
            {
                var target = contexts.ForDelegate(delegateType);
                if (target.AtomicContext)
                {
                    effects.Add(new AtomicConversion(delegateType, target.IrqsOff));
                }

                return false;
            }

            var contract = contexts.For(site.Method);
            if (contract == ContextContract.Empty)
            {
                if (BuiltInModels.Blocks(site.Method, site.Operation) is { } blocking)
                {
                    effects.Add(new MaySleep(blocking));
                }

                return false;
            }

            if (contract.MightSleep)
            {
                effects.Add(new MaySleep("[MightSleep]"));
            }

            if (contract.RequiresIrqsEnabled)
            {
                effects.Add(new NeedsIrqsEnabled());
            }

            if (contract.AllocatesParameter >= 0 && contract.AllocatesParameter < site.Method.Parameters.Length &&
                contexts.Flags.Of(site.Method.Parameters[contract.AllocatesParameter].Type) is { } flags)
            {
                effects.Add(new Allocate(contract.AllocatesParameter, flags));
            }

            if (contract.EntersAtomic || contract.ExitsAtomic)
            {
                effects.Add(new ChangeDepth(DepthKind.Atomic, contract.EntersAtomic));
            }

            if (contract.DisablesIrqs || contract.EnablesIrqs)
            {
                effects.Add(new ChangeDepth(DepthKind.Irqs, contract.DisablesIrqs));
            }

            if (contract.IsMask)
            {
                effects.Add(new ChangeMask(contract.Masks));
            }
            else if (contract.Unmasks)
            {
                effects.Add(new ChangeMask(null));
            }

            return false;
        }
    }

    /// <summary>
    /// What the context is at a point: atomic or not, IRQs off or not, and what made it so (for messages and the
    /// additional location). The description is built only when a finding asks for it.
    /// </summary>
    internal readonly struct AtomicReason
    {
        private readonly byte _source;
        private readonly HeldLock? _lock;
        private readonly IOperation? _raise;
        private readonly ContextState? _context;
        private readonly string? _description;
        private readonly Location? _began;

        public AtomicReason(bool atomic, bool irqsOff, string description, Location? began)
            : this(atomic, irqsOff, 0, null, null, null)
        {
            _description = description;
            _began = began;
        }

        private AtomicReason(bool atomic, bool irqsOff, byte source, HeldLock? held, IOperation? raise, ContextState? context)
        {
            _began = null;
            Atomic = atomic;
            IrqsOff = irqsOff;
            _source = source;
            _lock = held;
            _raise = raise;
            _context = context;
            _description = null;
        }

        public bool Atomic { get; }
        public bool IrqsOff { get; }
        /// <summary>Where the atomic context began (the acquire, the raise, the [AtomicContext] attribute), if anywhere here.</summary>
        public Location? Began => _source switch
        {
            1 or 4 => _lock!.Site?.Syntax.GetLocation(),
            2 or 5 => _raise?.Syntax.GetLocation(),
            3 or 6 => _context!.BaseLocation,
            _ => _began,
        };

        public string Description => _description ?? _source switch
        {
            1 => $"lock '{_lock!.Lock}' is held with IRQs disabled",
            2 => _raise is null ? "IRQs are disabled by the caller" : $"IRQs are disabled by '{NameOf(_raise)}'",
            3 => $"{_context!.BaseName} runs with IRQs disabled ([AtomicContext(IrqsOff = true)])",
            4 => _lock!.Origin == HoldOrigin.Acquired ? $"spinning lock '{_lock.Lock}' is held" : $"spinning lock '{_lock.Lock}' is held (required on entry)",
            5 => _raise is null ? "the atomic depth is raised by the caller" : $"the atomic depth is raised by '{NameOf(_raise)}'",
            6 => $"{_context!.BaseName} runs in atomic context ([AtomicContext])",
            _ => string.Empty,
        };

        /// <summary>
        /// The context in <paramref name="state"/>, leaving out the spinning locks in <paramref name="released"/> (a callee
        /// that requires them and drops them before it sleeps, §7.10).
        /// </summary>
        /// <summary>The context at a call for a callee event, leaving out the spinning locks the callee released before it (§7.10).</summary>
        public static AtomicReason AtCall(FlowState state, CallSite site, System.Collections.Immutable.ImmutableArray<Contracts.LockExpr> released) =>
            released.IsEmpty ? Of(state) : Of(state, h => released.Any(r => site.Substitute(r) is { } p && p.Equals(h.Lock)));

        public static AtomicReason Of(FlowState state, System.Func<HeldLock, bool>? released = null)
        {
            var ctx = state.Context;
            HeldLock? irqLock = null, spinLock = null;
            foreach (var held in state.Locks.Held)
            {
                if (!held.IsHeld || (released is not null && released(held)))
                {
                    continue;
                }

                if (held.DisabledIrqs)
                {
                    irqLock ??= held;
                }

                if (held.LockKind == 1)
                {
                    spinLock ??= held;
                }
            }

            if (irqLock is not null)
            {
                return new AtomicReason(true, true, 1, irqLock, null, null);
            }

            if (ctx.IrqRaises.Length > 0)
            {
                var raise = ctx.IrqRaises[ctx.IrqRaises.Length - 1];
                return new AtomicReason(true, true, 2, null, raise, null);
            }

            if (ctx.Base == ContextBase.IrqsOff)
            {
                return new AtomicReason(true, true, 3, null, null, ctx);
            }

            if (spinLock is not null)
            {
                return new AtomicReason(true, false, 4, spinLock, null, null);
            }

            if (ctx.AtomicRaises.Length > 0)
            {
                var raise = ctx.AtomicRaises[ctx.AtomicRaises.Length - 1];
                return new AtomicReason(true, false, 5, null, raise, null);
            }

            if (ctx.Base == ContextBase.Atomic)
            {
                return new AtomicReason(true, false, 6, null, null, ctx);
            }

            return default;
        }

        /// <summary>How a message names the call that raised a depth: <c>Irq.LocalSave</c>.</summary>
        internal static string NameOf(IOperation raise) => raise switch
        {
            Microsoft.CodeAnalysis.Operations.IInvocationOperation invocation => invocation.TargetMethod.ContainingType?.Name + "." + invocation.TargetMethod.Name,
            _ => raise.Syntax.ToString(),
        };
    }
}
