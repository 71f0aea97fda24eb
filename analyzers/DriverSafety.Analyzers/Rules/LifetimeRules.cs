using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Analyzers.Flow;
using DriverSafety.Analyzers.Flow.Domains;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace DriverSafety.Analyzers.Rules
{
    /// <summary>
    /// The lifetimes and states family (DMA-API debug, typestate): DRV3001–DRV3008. It turns the engine's events into
    /// diagnostics and decides which of two findings wins (§7.22: DRV3005 over DRV3002, DRV3004 over DRV3003); it never
    /// walks a body itself.
    /// </summary>
    internal sealed class LifetimeRules : FlowObserver
    {
        private readonly ContractProvider _contracts;
        private readonly Action<Diagnostic> _report;

        // Per body: the leaking exits of each begin (one DRV3001 per begin), and the begins whose handle was reported (DRV3008 once).
        private readonly Dictionary<IOperation, Leak> _leaks = new Dictionary<IOperation, Leak>();
        private readonly HashSet<IOperation> _uncheckedReported = new HashSet<IOperation>();
        private readonly HashSet<(IOperation Release, IOperation Begin)> _untied = new HashSet<(IOperation, IOperation)>();

        public LifetimeRules(ContractProvider contracts, Action<Diagnostic> report)
        {
            _contracts = contracts;
            _report = report;
        }

        public override void OnCall(CallEvent e)
        {
            CheckUses(e);
            if (e.Effects.IsEmpty)
            {
                return;
            }

            var before = e.Before.Objects;
            List<(ObjectTarget, string)>? stateReported = null;
            foreach (var effect in e.Effects)
            {
                switch (effect)
                {
                    case RequireState require:
                        if (CheckRequirement(e, require))
                        {
                            (stateReported ??= new List<(ObjectTarget, string)>()).Add((require.Target, require.Clause.Name));
                        }

                        break;
                    case BeginResource begin when !begin.Clause.Counted && !begin.Clause.TargetsReturn:
                        if (stateReported?.Contains((begin.Target, begin.Clause.Name)) == true)
                        {
                            break;
                        }

                        // A scoped resource never outlives the method that began it: only a begin on this path can have left it open.
                        var presence = before.PresenceOf(begin.Target, begin.Clause.Name);
                        if (presence != Presence.NotIn && !(begin.Clause.Scoped && presence == Presence.Unknown))
                        {
                            var which = presence switch
                            {
                                Presence.In => "already has it",
                                Presence.Maybe => "may have it on some path",
                                _ => "is not proved free of it",
                            };
                            var open = before.Find(begin.Target, begin.Clause.Name)?.Open;
                            Report(Descriptors.ResourceBegunTwice, e.Site.Location, Begun(open), begin.Clause.Name, begin.Target, which + Where(open));
                        }

                        break;
                    case EndResource end:
                        CheckEnd(e, end);
                        break;
                    case ReleaseLock release:
                        CheckRelease(e, release);
                        break;
                }
            }
        }

        /// <summary>DRV3005: the target's state must be proved (in, or not in, on every path).</summary>
        private bool CheckRequirement(CallEvent e, RequireState require)
        {
            var objects = e.Before.Objects;
            var presence = objects.PresenceOf(require.Target, require.Clause.Name);
            var wanted = require.Not ? Presence.NotIn : Presence.In;
            if (presence == wanted)
            {
                return false;
            }

            var why = presence switch
            {
                Presence.Unknown => "it is not proved here (test it with a [StateTest] member, or require it of the caller)",
                Presence.Maybe => require.Not ? "it may be in it on some path" : "it is not in it on some path reaching this call",
                Presence.In => "it is in it here",
                _ => "it is not in it here",
            };
            var open = objects.Find(require.Target, require.Clause.Name)?.Open;
            Report(Descriptors.RequiredStateNotEstablished, e.Site.Location, Begun(open), e.Site.Callee.Name, require.Target,
                require.Not ? "not to be in state" : "to be in state", require.Clause.Name, why + Where(open));
            return true;
        }

        /// <summary>DRV3004 where the target is known not to have the resource on some path; else DRV3003 where Match differs.</summary>
        private void CheckEnd(CallEvent e, EndResource end)
        {
            var objects = e.Before.Objects;
            var fact = objects.Find(end.Target, end.Clause.Name);
            var presence = objects.PresenceOf(end.Target, end.Clause.Name);
            if (presence is Presence.NotIn or Presence.Maybe)
            {
                var which = presence == Presence.NotIn
                    ? "does not have it here (never begun on this path, already ended, or its begin failed)"
                    : "does not have it on some path reaching this call (never begun there, already ended, or its begin failed)";
                Report(Descriptors.EndWithoutBegin, e.Site.Location, Begun(fact?.Open), end.Clause.Name, end.Target, which + Where(fact?.Open));
                return;
            }

            if (fact?.Open is not { } open || end.Match.IsEmpty)
            {
                return;
            }

            foreach (var value in end.Match)
            {
                var begun = open.Match.FirstOrDefault(m => m.Parameter == value.Parameter);
                if (begun is not null && value.SameAs(begun) == false)
                {
                    Report(Descriptors.EndDoesNotMatchBegin, e.Site.Location, Begun(open), end.Clause.Name, end.Target, value.Parameter, value, begun, Where(open));
                    return;
                }
            }
        }

        /// <summary>DRV3006: a release of a lock a <c>While</c> resource depends on (once: the resource is then untied, §7.22).</summary>
        private void CheckRelease(CallEvent e, ReleaseLock release)
        {
            foreach (var fact in e.Before.Objects.Facts)
            {
                if (fact.Open is { While: { } tied } open && tied.Equals(release.Lock) && fact.Presence != Presence.NotIn && _untied.Add((e.Site.Operation, open.Site)))
                {
                    Report(Descriptors.LockReleasedWhileResourceDepends, e.Site.Location, Begun(open), release.Lock, fact.Name, fact.Target);
                }
            }
        }

        /// <summary>DRV3008: an unchecked handle passed to a method other than its check.</summary>
        private void CheckUses(CallEvent e)
        {
            if (e.Site.ConvertedTo is not null)
            {
                return;
            }

            var objects = e.Before.Objects;
            if (!objects.Facts.Any(f => f.Open is { Checked: false }))
            {
                return;
            }

            for (var i = 0; i < e.Site.Method.Parameters.Length; i++)
            {
                var target = objects.Canonical(ObjectTarget.For(e.Site.Argument(i), e.Site.ArgumentKey(i)));
                if (target is not null && UncheckedHandle(objects, target) is { } open &&
                    !SymbolEqualityComparer.Default.Equals(open.Clause.CheckedBy?.OriginalDefinition, e.Site.Method.OriginalDefinition))
                {
                    ReportUnchecked(open, target, e.Site.Location, "passed to '" + e.Site.Callee.Name + "'");
                }
            }
        }

        public override void OnAssignment(AssignmentEvent e)
        {
            var target = e.Target;
            while (target is IConversionOperation conversion)
            {
                target = conversion.Operand;
            }

            if (target is ILocalReferenceOperation or IParameterReferenceOperation { Parameter.RefKind: RefKind.None } or IDiscardOperation)
            {
                // Copying the handle to a local is not a use: the local aliases it (§7.16).
                return;
            }

            if (FlowEngine.KeyOf(e.Value) is { } key && e.State.Objects.Canonical(ObjectTarget.ForKey(key)) is { } stored && UncheckedHandle(e.State.Objects, stored) is { } open)
            {
                ReportUnchecked(open, ObjectTarget.ForKey(key), e.Site.Syntax.GetLocation(), "stored");
            }
        }

        /// <summary>
        /// DRV3007 (§7.18): a <c>[NoReassign]</c> member written (assigned, compound-assigned, incremented, passed by
        /// <c>ref</c>/<c>out</c>) outside constructors, initializers and the members of its declaring type.
        /// </summary>
        public override void OnMemberAccess(MemberAccessEvent e)
        {
            if (!e.Write || e.OwnInitialization || !LifetimeContract.For(_contracts, e.Member).NoReassign)
            {
                return;
            }

            var site = e.Site.Parent is IAssignmentOperation assignment && assignment.Target == e.Site ? assignment.Syntax : e.Site.Syntax;
            if (site.Parent is InitializerExpressionSyntax { RawKind: (int)SyntaxKind.ObjectInitializerExpression or (int)SyntaxKind.WithInitializerExpression })
            {
                return;
            }

            for (var type = e.Body.Symbol?.ContainingType; type is not null; type = type.ContainingType)
            {
                if (SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, e.Member.ContainingType.OriginalDefinition))
                {
                    return;
                }
            }

            Report(Descriptors.NoReassignAssigned, site.GetLocation(), Array.Empty<Location>(), e.Member.Name, e.Member.ContainingType.Name);
        }

        public override void OnExit(ExitEvent e)
        {
            var objects = e.State.Objects;
            var own = e.Body.Symbol is { } method && e.Body.Kind != BodyKind.LambdaRunsAtOnce ? LifetimeContract.For(_contracts, method) : LifetimeContract.Empty;
            var returnedKey = e.Returned is { } returned && FlowEngine.KeyOf(returned) is { } rawKey ? objects.Canonical(rawKey) : (ValueKey?)null;
            if (returnedKey is { } key && UncheckedHandle(objects, ObjectTarget.ForKey(key)) is { } uncheckedOpen &&
                !own.Of(LifetimeClauseKind.Begins).Any(c => c.Handle == "return" && c.CheckedBy is not null))
            {
                ReportUnchecked(uncheckedOpen, ObjectTarget.ForKey(key), e.Location, "returned (declare it: [Begins(..., Handle = \"return\", CheckedBy = ...)])");
            }

            foreach (var fact in objects.Facts)
            {
                if (fact.Open is not { HandedOver: false } open || fact.Presence == Presence.NotIn)
                {
                    continue;
                }

                if (returnedKey is { } r && (fact.Target.RootedAt(r) || (open.Handle?.RootedAt(r) ?? false)))
                {
                    continue;
                }

                if (open.Site.Syntax.SyntaxTree != e.Body.BodySyntax.SyntaxTree || !e.Body.BodySyntax.Span.Contains(open.Site.Syntax.Span))
                {
                    // Begun by the caller of a lambda that runs at once: the caller's exits judge it.
                    continue;
                }

                if (Leaks(e, objects, fact, open, own) is { } detail)
                {
                    if (!_leaks.TryGetValue(open.Site, out var leak))
                    {
                        leak = new Leak(fact.Name, fact.Target, detail, open.Clause.While is not null && !open.Clause.Scoped);
                        _leaks.Add(open.Site, leak);
                    }

                    if (!leak.Exits.Contains(e.Location))
                    {
                        leak.Exits.Add(e.Location);
                    }
                }
            }
        }

        /// <summary>Whether a resource still open at this exit is a leak (§7.13: the first bullet that applies decides), and why.</summary>
        private string? Leaks(ExitEvent e, ObjectSet objects, ObjectFact fact, Opening open, LifetimeContract own)
        {
            var declared = own.Of(LifetimeClauseKind.Begins).FirstOrDefault(c => c.Name == fact.Name && !c.TargetsReturn &&
                Equals(ObjectTarget.For(c.Target.Substitute(e.Body.Symbol is { IsStatic: false } ? AccessPath.This : null, e.Body.ParameterPath), null), fact.Target));
            if (declared is not null)
            {
                return Fails(e, objects, declared.When, own) ? ": this exit fails the method's own [Begins], so it must unwind" : null;
            }

            if (open.Clause.Scoped)
            {
                return ": it is scoped and must be ended in the method that began it";
            }

            if (open.While is not null || open.Clause.While is not null)
            {
                return ": it depends on lock '" + (open.While?.ToString() ?? open.Clause.While!.Text) + "' and must be ended before the method returns";
            }

            if (fact.Target.IsValue || objects.IsFresh(fact.Target))
            {
                return ": it is on an object this method owns (not stored, not returned)";
            }

            if (open.Handle is not null && !open.Handle.Equals(fact.Target))
            {
                return ": its handle is not stored, returned or ended";
            }

            // Open on every path, or where the other paths failed to begin it (an error ladder: `out: return ret;`). A begin on
            // some paths only, where the others never tried (a begin under a condition the unwinding repeats), is not judged
            // on a parameter's or field's target.
            return fact.Presence is Presence.In or Presence.Maybe && Fails(e, objects, BeginWhen.Any, own) ? ": an error path must unwind what the method began" : null;
        }

        /// <summary>
        /// A failure exit (§7.13): against the method's own <c>[Begins(When = …)]</c> where it declares one; else a throw,
        /// or, for an integer or enum result, a negative constant or a value known non-zero (an unknown value is success).
        /// </summary>
        private static bool Fails(ExitEvent e, ObjectSet objects, BeginWhen when, LifetimeContract own)
        {
            if (e.Kind == ExitKind.Throw)
            {
                return true;
            }

            if (when == BeginWhen.Any)
            {
                when = own.Of(LifetimeClauseKind.Begins).Select(c => c.When).FirstOrDefault(w => w != BeginWhen.Any);
            }

            var returned = e.Returned;
            while (returned is IConversionOperation { OperatorMethod: null } conversion)
            {
                returned = conversion.Operand;
            }

            if (returned is null)
            {
                return false;
            }

            ConditionValue? constant = returned.ConstantValue.HasValue ? ConditionValue.FromConstant(returned.ConstantValue.Value) : null;
            var key = FlowEngine.KeyOf(returned);
            if (constant is null && key is { } k)
            {
                constant = e.State.Values.Of(k);
            }

            bool? nonZero = constant is { Kind: 1 } c ? c.Value != 0 : constant is { Kind: 2 } ? false : key is { } k2 ? objects.NonZero(k2) : null;
            if (returned is IObjectCreationOperation)
            {
                nonZero = true;
            }

            switch (when)
            {
                case BeginWhen.Zero:
                    return nonZero == true;
                case BeginWhen.NonZero:
                    return nonZero == false;
                case BeginWhen.Null:
                    return nonZero == true;
                case BeginWhen.NonNull:
                    return nonZero == false;
                case BeginWhen.True:
                    return constant is { Kind: 0, Value: 0 };
                case BeginWhen.False:
                    return constant is { Kind: 0, Value: not 0 };
            }

            var type = e.Body.Symbol?.ReturnType;
            var integral = type is not null && (type.TypeKind == TypeKind.Enum || type.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_Int16 or SpecialType.System_SByte);
            if (!integral)
            {
                return false;
            }

            return returned.ConstantValue.HasValue ? constant is { Kind: 1, Value: < 0 } : nonZero == true;
        }

        public override void OnBodyDone(BodyContext body)
        {
            foreach (var pair in _leaks.OrderBy(p => p.Key.Syntax.SpanStart))
            {
                var leak = pair.Value;
                if (leak.ByLock && _untied.Any(u => ReferenceEquals(u.Begin, pair.Key)))
                {
                    // Its lock was released while it was open: one finding, the DRV3006 at that release (§7.22).
                    continue;
                }

                var lines = string.Join(", ", leak.Exits.Select(l => "line " + LineOf(l)));
                Report(Descriptors.ResourceNotEnded, pair.Key.Syntax.GetLocation(), leak.Exits, leak.Name, leak.Target, body.Name, lines, leak.Detail);
            }

            _leaks.Clear();
            _uncheckedReported.Clear();
            _untied.Clear();
        }

        private static Opening? UncheckedHandle(ObjectSet objects, ObjectTarget target)
        {
            foreach (var fact in objects.Facts)
            {
                if (fact.Open is { Checked: false, Handle: { } handle } open && open.Clause.CheckedBy is not null && fact.Presence != Presence.NotIn && handle.Equals(target))
                {
                    return open;
                }
            }

            return null;
        }

        private void ReportUnchecked(Opening open, ObjectTarget handle, Location location, string use)
        {
            if (_uncheckedReported.Add(open.Site))
            {
                Report(Descriptors.MappingUsedBeforeCheck, location, Begun(open), handle, open.Clause.Name, use, open.Clause.CheckedBy!.Name);
            }
        }

        private static IEnumerable<Location> Begun(Opening? open) =>
            open is null ? Array.Empty<Location>() : new[] { open.Site.Syntax.GetLocation() };

        private static string Where(Opening? open) => open is null ? string.Empty : " (begun at line " + LineOf(open.Site.Syntax.GetLocation()) + ")";

        private static string LineOf(Location location) =>
            (location.GetLineSpan().StartLinePosition.Line + 1).ToString(CultureInfo.InvariantCulture);

        private void Report(DiagnosticDescriptor descriptor, Location location, IEnumerable<Location> additional, params object[] args) =>
            _report(Diagnostic.Create(descriptor, location, additional, args.Select(a => a.ToString()).ToArray()));

        private sealed class Leak
        {
            public Leak(string name, ObjectTarget target, string detail, bool byLock)
            {
                Name = name;
                Target = target;
                Detail = detail;
                ByLock = byLock;
            }

            /// <summary>The resource must end before its <c>While</c> lock is released.</summary>
            public bool ByLock { get; }

            public string Name { get; }
            public ObjectTarget Target { get; }
            public string Detail { get; }
            public List<Location> Exits { get; } = new List<Location>();
        }
    }
}
