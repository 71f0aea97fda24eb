using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Analyzers.Flow;
using DriverSafety.Analyzers.Summaries;
using DriverSafety.Analyzers.WholeProgram;
using DriverSafety.Analyzers.Contracts.Annotations;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverSafety.Analyzers.Rules
{
    /// <summary>
    /// The lock-order family's live findings, from each body's own walk (SPEC §5, §7.19, §7.22): DRV1010 where a lock
    /// is acquired (directly, or in a callee through its summary) while another lock of its class is held and the two
    /// were not both acquired passing one <c>[AcquireContext]</c> argument; and DRV1007 where an acquisition goes
    /// against the declared order. A lock that is itself held already is DRV1005/DRV1006 (the locking rules'), never
    /// also one of these; DRV1010 wins over a declared-order DRV1007 at one site for one lock. Cycles of inferred
    /// edges are whole-program facts (<see cref="LockOrderCycles"/>).
    /// </summary>
    internal sealed class LockOrderRules : FlowObserver
    {
        private readonly ContractProvider _contracts;
        private readonly WholeProgramFacts _facts;
        private readonly Action<Diagnostic> _report;
        private DeclaredLockOrder? _declared;

        public LockOrderRules(ContractProvider contracts, WholeProgramFacts facts, Action<Diagnostic> report)
        {
            _contracts = contracts;
            _facts = facts;
            _report = report;
        }

        public override void OnCall(CallEvent e)
        {
            if (e.Effects.IsEmpty || !e.Before.Locks.AnyHeld)
            {
                return;
            }

            List<Acquisition>? acquisitions = null;
            foreach (var effect in e.Effects)
            {
                switch (effect)
                {
                    case AcquireLock acquire:
                        Add(ref acquisitions, new Acquisition(acquire.Lock, LockClass.Of(acquire.Lock, acquire.Subclass), ContextOfCall(e.Site.Operation), null, acquire.Reentrant));
                        break;
                    case TryAcquireLock tryAcquire when tryAcquire.Blocking:
                        foreach (var lockPath in tryAcquire.Locks)
                        {
                            Add(ref acquisitions, new Acquisition(lockPath, LockClass.Of(lockPath, 0), ContextOfCall(e.Site.Operation), null, tryAcquire.Reentrant));
                        }

                        break;
                    case SummaryEffect summary:
                        foreach (var callee in summary.Summary.Events.OfType<AcquisitionEvent>())
                        {
                            if (!callee.Blocking || callee.ReportedInCallee || callee.ReleasedRequiredFirst)
                            {
                                continue;
                            }

                            var path = callee.Lock is null ? null : e.Site.Substitute(callee.Lock);
                            var lockClass = path is null ? callee.Class : LockClass.Of(path, callee.Class?.Subclass ?? 0);
                            var context = callee.ContextParameter >= 0 ? AcquireContexts.KeyOfArgument(e.Site.Operation, callee.ContextParameter) : null;
                            Add(ref acquisitions, new Acquisition(path, lockClass, context, callee.Chain.Prepend(e.Site.Method.Name, e.Site.Location), callee.Reentrant));
                        }

                        break;
                }
            }

            if (acquisitions is null)
            {
                return;
            }

            var held = e.Before.Locks.Held.Where(h => h.IsHeld).Select(h => (Held: h, Class: LockClass.Of(h.Lock, h.Subclass))).Where(h => h.Class is not null).ToList();
            foreach (var acquisition in acquisitions)
            {
                if (acquisition.Class is null || (acquisition.Lock is not null && e.Before.Find(acquisition.Lock) is { IsHeld: true }))
                {
                    // Already held: DRV1005 (or DRV1006, or a monitor nesting), the locking rules' finding (§7.22).
                    continue;
                }

                if (!CheckSameClass(e, acquisition, held))
                {
                    CheckDeclaredOrder(e, acquisition, held);
                }
            }
        }

        private static void Add(ref List<Acquisition>? list, Acquisition acquisition)
        {
            list ??= new List<Acquisition>();
            if (!list.Any(a => a.Lock is not null && acquisition.Lock is not null ? a.Lock.Equals(acquisition.Lock) : Equals(a.Class, acquisition.Class) && a.Lock is null && acquisition.Lock is null))
            {
                list.Add(acquisition);
            }
        }

        /// <summary>DRV1010: another lock of the acquisition's class is held, and the two were not both taken with one acquire context.</summary>
        private bool CheckSameClass(CallEvent e, Acquisition acquisition, List<(HeldLock Held, LockClass? Class)> held)
        {
            foreach (var (other, otherClass) in held)
            {
                if (!acquisition.Class!.Equals(otherClass))
                {
                    continue;
                }

                if (acquisition.Context is not null && acquisition.Context == ContextOfHold(other))
                {
                    // Wound/wait: both taken with one acquire context, which resolves the order at run time.
                    continue;
                }

                var context = acquisition.Context is null
                    ? "without an [AcquireContext]"
                    : ContextOfHold(other) is null ? "with an [AcquireContext] the held lock was not acquired with" : "with a different [AcquireContext]";
                Report(Descriptors.NestedLocksOfOneClass, e.Site.Location, Also(other), Name(acquisition), other.Lock, Where(other), acquisition.Class, context + Through(acquisition));
                return true;
            }

            return false;
        }

        /// <summary>DRV1007 (declared): the acquired class is declared, transitively, to come before a class that is held.</summary>
        private void CheckDeclaredOrder(CallEvent e, Acquisition acquisition, List<(HeldLock Held, LockClass? Class)> held)
        {
            var declared = _declared ??= _facts.DeclaredOrder();
            if (declared.IsEmpty)
            {
                return;
            }

            foreach (var (other, otherClass) in held)
            {
                if (otherClass is null || otherClass.Equals(acquisition.Class))
                {
                    continue;
                }

                var path = declared.PathBefore(acquisition.Class!.Declaration, otherClass.Declaration);
                if (path.IsEmpty)
                {
                    continue;
                }

                var additional = Also(other).Concat(path.Select(p => p.Attribute).Where(l => l.IsInSource || l.Kind == LocationKind.ExternalFile));
                Report(Descriptors.LockOrderInversion, e.Site.Location, additional,
                    $"'{Name(acquisition)}' (class '{acquisition.Class}') is acquired{Through(acquisition)} while '{other.Lock}' (class '{otherClass}') is held{Where(other)}, " +
                    $"but the declared order puts '{acquisition.Class}' first: " + string.Join("; ", path.Select(p => p.Describe())));
                return;
            }
        }

        /// <summary>The acquire-context argument of a call that acquires (null where it passes none).</summary>
        private string? ContextOfCall(IOperation operation) =>
            operation is IInvocationOperation invocation ? AcquireContexts.KeyOfArgument(operation, AcquireContexts.ParameterOf(invocation.TargetMethod, _contracts.Known))
            : operation is IObjectCreationOperation { Constructor: { } constructor } ? AcquireContexts.KeyOfArgument(operation, AcquireContexts.ParameterOf(constructor, _contracts.Known))
            : null;

        private string? ContextOfHold(HeldLock held) => held.Site is null ? null : ContextOfCall(held.Site);

        private static string Name(Acquisition acquisition) => acquisition.Lock?.ToString() ?? "a lock of class '" + acquisition.Class + "'";

        private static string Through(Acquisition acquisition) => acquisition.Chain is null ? string.Empty : " through '" + acquisition.Chain + "'";

        private static string Where(HeldLock held) => held.Origin switch
        {
            HoldOrigin.Entry => " (held by contract)",
            HoldOrigin.Asserted => " (asserted held at line " + Line(held) + ")",
            _ => " (acquired at line " + Line(held) + ")",
        };

        private static string Line(HeldLock held) =>
            held.Site is null ? "?" : (held.Site.Syntax.GetLocation().GetLineSpan().StartLinePosition.Line + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);

        private static IEnumerable<Location> Also(HeldLock held) =>
            held.Site is { } site ? new[] { site.Syntax.GetLocation() } : Array.Empty<Location>();

        private void Report(DiagnosticDescriptor descriptor, Location location, IEnumerable<Location> additional, params object?[] args) =>
            _report(Diagnostic.Create(descriptor, location, additional, args.Select(a => a?.ToString() ?? string.Empty).ToArray()));

        private sealed class Acquisition
        {
            public Acquisition(AccessPath? lockPath, LockClass? lockClass, string? context, CallChain? chain, bool reentrant)
            {
                Lock = lockPath;
                Class = lockClass;
                Context = context;
                Chain = chain;
                Reentrant = reentrant;
            }

            public AccessPath? Lock { get; }
            public LockClass? Class { get; }
            public string? Context { get; }
            public CallChain? Chain { get; }
            public bool Reentrant { get; }
        }
    }

    /// <summary>The <c>[AcquireContext]</c> argument of an acquisition (wound/wait), and its identity.</summary>
    internal static class AcquireContexts
    {
        /// <summary>The ordinal of <paramref name="method"/>'s <c>[AcquireContext]</c> parameter, or -1.</summary>
        public static int ParameterOf(IMethodSymbol method, KnownSymbols known)
        {
            if (known.AcquireContext is null)
            {
                return -1;
            }

            foreach (var parameter in method.Parameters)
            {
                foreach (var attribute in known.AttributesOf(parameter))
                {
                    if (KnownSymbols.Is(attribute, known.AcquireContext))
                    {
                        return parameter.Ordinal;
                    }
                }
            }

            return -1;
        }

        /// <summary>
        /// The identity of the value a call passes for the parameter at <paramref name="ordinal"/>: a local, a parameter,
        /// or a member path from one of them, <c>this</c> or a static type; null for anything else (a <c>null</c> literal
        /// passes no context; another expression is not known to be the same context).
        /// </summary>
        public static string? KeyOfArgument(IOperation call, int ordinal)
        {
            if (ordinal < 0)
            {
                return null;
            }

            var arguments = call switch
            {
                IInvocationOperation invocation => invocation.Arguments,
                IObjectCreationOperation creation => creation.Arguments,
                _ => ImmutableArray<IArgumentOperation>.Empty,
            };
            foreach (var argument in arguments)
            {
                if (argument.Parameter?.Ordinal == ordinal)
                {
                    return KeyOf(argument.Value);
                }
            }

            return null;
        }

        private static string? KeyOf(IOperation? value)
        {
            while (value is IConversionOperation conversion)
            {
                value = conversion.Operand;
            }

            switch (value)
            {
                case ILocalReferenceOperation local:
                    return "local:" + local.Local.Name + "@" + (local.Local.Locations.FirstOrDefault()?.SourceSpan.Start ?? -1).ToString(System.Globalization.CultureInfo.InvariantCulture);
                case IParameterReferenceOperation parameter:
                    return "parameter:" + parameter.Parameter.Ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + parameter.Parameter.Name;
                case IInstanceReferenceOperation:
                    return "this";
                case IMemberReferenceOperation member when member.Member is IFieldSymbol or IPropertySymbol:
                    var root = member.Member.IsStatic ? "static:" + member.Member.ContainingType?.ToDisplayString() : KeyOf(member.Instance);
                    return root is null ? null : root + "." + member.Member.Name;
                default:
                    return null;
            }
        }
    }
}
