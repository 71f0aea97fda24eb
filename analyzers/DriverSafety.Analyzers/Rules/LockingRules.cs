using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Analyzers.Flow;
using DriverSafety.Analyzers.Flow.Domains;
using DriverSafety.Analyzers.Summaries;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverSafety.Analyzers.Rules
{
    /// <summary>
    /// The lock-discipline family (Clang's -Wthread-safety): DRV1001, DRV1002, DRV1003, DRV1004, DRV1005, DRV1006,
    /// DRV1009, DRV1011. It turns the engine's events into diagnostics and decides which of two findings wins (§7.22);
    /// it never walks a body itself.
    /// </summary>
    internal sealed class LockingRules : FlowObserver
    {
        private readonly Action<Diagnostic> _report;
        private readonly ContractProvider _contracts;
        private readonly Dictionary<IOperation, Leak> _leaks = new Dictionary<IOperation, Leak>();
        private readonly Dictionary<(IOperation Site, AccessPath Lock), (HeldLock Held, Location? Extra)> _touchedPartial = new Dictionary<(IOperation, AccessPath), (HeldLock, Location?)>();
        private readonly HashSet<(IOperation Site, AccessPath Lock)> _reported1009 = new HashSet<(IOperation, AccessPath)>();
        private readonly Dictionary<AccessPath, List<(IMethodSymbol Helper, string Expression)>> _handedToHelpers = new Dictionary<AccessPath, List<(IMethodSymbol, string)>>();

        public LockingRules(ContractProvider contracts, Action<Diagnostic> report)
        {
            _contracts = contracts;
            _report = report;
        }

        public override void OnCall(CallEvent e)
        {
            RememberHandOffs(e);
            if (e.Effects.IsEmpty)
            {
                return;
            }

            // Few effects per call: small lists, made only when needed.
            List<AccessPath>? excluded = null;
            List<AccessPath>? reported = null;
            foreach (var effect in e.Effects)
            {
                switch (effect)
                {
                    case ExcludeLock exclude when e.Before.Find(exclude.Lock) is { IsHeld: true } held:
                        (excluded ??= new List<AccessPath>()).Add(exclude.Lock);
                        if (FirstFinding(ref reported, exclude.Lock))
                        {
                            Report(Descriptors.ExcludedLockHeld, e.Site.Location, Also(held), e.Site.Callee.Name, exclude.Lock);
                        }

                        break;
                    case RequireLock require:
                        CheckRequirement(e, require, ref reported);
                        break;
                    case AcquireLock acquire:
                        CheckAcquire(e, acquire.Lock, acquire.Reentrant, excluded, ref reported);
                        break;
                    case TryAcquireLock tryAcquire when tryAcquire.Blocking:
                        foreach (var lockPath in tryAcquire.Locks)
                        {
                            CheckAcquire(e, lockPath, tryAcquire.Reentrant, excluded, ref reported);
                        }

                        break;
                    case ReleaseLock release:
                        CheckRelease(e, release, ref reported);
                        break;
                    case SummaryEffect summary:
                        CheckCallee(e, summary.Summary, excluded, ref reported);
                        break;
                    case UnpromisedRequirement unpromised:
                        Report(Descriptors.RequiredLockNotHeld, e.Site.Location, Array.Empty<Location>(), e.Site.Callee.Name, unpromised.Lock,
                            $" by every invocation of '{unpromised.DelegateType.Name}', which does not require it (add it to the delegate type's [Requires], or take the lock in '{e.Site.Callee.Name}')");
                        break;
                }
            }

            if (e.Site.ResultDropped && e.Effects.OfType<TryAcquireLock>().Any(t => t.ResultKey.IsOperation))
            {
                // §7.6: a dropped try-lock result is one DRV1003 at the try-lock; the lock then counts as held.
                var locks = e.Effects.OfType<TryAcquireLock>().SelectMany(t => t.Locks).Where(l => e.Before.Find(l) is not { IsHeld: true });
                foreach (var lockPath in locks)
                {
                    Report(Descriptors.LockNotReleased, e.Site.Location, Array.Empty<Location>(), lockPath, e.Body.Name,
                        "its result is ignored: the lock is held only where it succeeded", string.Empty);
                }
            }
        }

        public override void OnMemberAccess(MemberAccessEvent e)
        {
            if (e.OwnInitialization)
            {
                return;
            }

            foreach (var clause in _contracts.ForMember(e.Member).GuardedBy)
            {
                if (clause.WritesOnly && !e.Write)
                {
                    continue;
                }

                var lockPath = clause.Lock.Substitute(e.Instance, _ => null);
                if (lockPath is null)
                {
                    continue;
                }

                var held = e.State.Find(lockPath);
                if (held is { IsHeld: true } && (!e.Write || !held.Shared))
                {
                    continue;
                }

                Touch(held, e.Site.Syntax.GetLocation());
                var detail = e.Write ? held is { IsHeld: true, Shared: true } ? " exclusively (it is held shared)" : " exclusively" : string.Empty;
                Report(Descriptors.GuardedMemberWithoutLock, e.Site.Syntax.GetLocation(), Also(held), RequiresFix(e.Body, lockPath),
                    e.Write ? "Write" : "Read", e.Member.Name, lockPath, detail + LaterNote(e.Body));
            }
        }

        public override void OnMerge(MergeEvent e)
        {
            foreach (var mismatch in e.Mismatches.OfType<LockMismatch>())
            {
                var site = mismatch.Held.Origin == HoldOrigin.Acquired ? mismatch.Held.Site : mismatch.ReleaseSite;
                if (site is not null && _reported1009.Add((site, mismatch.Held.Lock)))
                {
                    // The additional location is the path that lacks the lock: the loop's entry (its head) when the back
                    // edge brings the lock, else the back edge.
                    var where = mismatch.MergePoint is null ? "the loop head" : "line " + LineOf(mismatch.MergePoint.GetLocation());
                    var edge = mismatch.LackingPath is null ? "the loop's back edge" : "the loop's back edge from line " + LineOf(mismatch.LackingPath.GetLocation());
                    var path = mismatch.HeldOnBackEdge ? $" ({edge} brings it held; the loop is entered without it)" : $" ({edge} does not bring it)";
                    var lacking = mismatch.HeldOnBackEdge ? mismatch.MergePoint : mismatch.LackingPath ?? mismatch.MergePoint;
                    var additional = new[] { lacking }.Where(l => l is not null).Select(l => l!.GetLocation());
                    Report(Descriptors.LockHeldOnSomePaths, site.Syntax.GetLocation(), additional, mismatch.Held.Lock,
                        mismatch.Held.Origin == HoldOrigin.Acquired ? "acquired here is" : "released here is still", where + path);
                }
            }
        }

        public override void OnExit(ExitEvent e)
        {
            var body = e.Body;
            foreach (var held in e.State.Locks.Held)
            {
                if (held.Origin != HoldOrigin.Acquired || held.Site is null || held.ResultDropped)
                {
                    continue;
                }

                // A lock the body requires by contract and took back is the caller's again (§7.3); one it declares it
                // acquires is handed over on return, but not by a throw (§7.6a). Held on some paths only, a declared lock
                // is the contract's finding (DRV1011), not a leak.
                var required = body.Requires.Contains(held.Lock);
                var declared = body.Acquires.Contains(held.Lock) || (body.TryAcquires.Contains(held.Lock) && !ReturnsFailure(e, held.Lock));
                if (!held.IsHeld)
                {
                    if (!required && !declared)
                    {
                        AddLeak(held, e.Location, partial: true);
                    }

                    continue;
                }

                if (!required && (e.Kind == ExitKind.Throw || !declared))
                {
                    AddLeak(held, e.Location, partial: false);
                }
            }

            foreach (var held in e.State.Locks.Held.Where(h => h.Origin == HoldOrigin.Entry && h.IsHeld && body.Releases.Contains(h.Lock)))
            {
                if (e.Kind == ExitKind.Return)
                {
                    Report(Descriptors.MethodBreaksLockContract, e.Location, Array.Empty<Location>(), body.Name, "releases", held.Lock, "it is still held");
                }
            }

            foreach (var required in body.Requires)
            {
                if (e.State.Find(required) is not { IsHeld: true } && !body.Releases.Contains(required))
                {
                    Report(Descriptors.MethodBreaksLockContract, e.Location, Array.Empty<Location>(), body.Name,
                        body.Kind == BodyKind.LambdaRunsAtOnce ? "runs under its caller's" : "requires", required, "it is not held again");
                }
            }

            if (e.Kind == ExitKind.Return)
            {
                foreach (var (lockPath, success) in TryClauses(body))
                {
                    // A try-acquire that returns its success value must hand the lock back held.
                    if (ReturnedValue(e) is { } returned && returned.Equals(success) && e.State.Find(lockPath) is not { IsHeld: true })
                    {
                        Report(Descriptors.MethodBreaksLockContract, e.Location, Array.Empty<Location>(), body.Name, $"try-acquires (held where it returns {success})", lockPath, "it is not held");
                    }
                }

                foreach (var declared in body.Acquires)
                {
                    if (e.State.Find(declared) is not { IsHeld: true })
                    {
                        Report(Descriptors.MethodBreaksLockContract, e.Location, Array.Empty<Location>(), body.Name, "acquires", declared, "it is not held");
                    }
                }
            }
        }

        /// <summary>
        /// The exit returns a value known to differ from every success value of the body's <c>[TryAcquires]</c> clauses
        /// that name <paramref name="lockPath"/>: a failure exit, where the lock must not be held (a leak otherwise).
        /// </summary>
        private static bool ReturnsFailure(ExitEvent e, AccessPath lockPath)
        {
            if (e.Kind != ExitKind.Return || ReturnedValue(e) is not { } returned)
            {
                return false;
            }

            var clauses = TryClauses(e.Body).Where(c => c.Lock.Equals(lockPath)).ToList();
            return clauses.Count > 0 && clauses.All(c => !returned.Equals(c.Success) && returned.Kind == c.Success.Kind);
        }

        /// <summary>The body's own try-acquire clauses, each lock in the body's frame with the result that means success.</summary>
        private static IEnumerable<(AccessPath Lock, ConditionValue Success)> TryClauses(BodyContext body)
        {
            var thisPath = body.Symbol is { IsStatic: false } ? AccessPath.This : null;
            foreach (var clause in body.Contract.TryAcquires)
            {
                foreach (var lockExpr in clause.Locks)
                {
                    if (lockExpr.Substitute(thisPath, body.ParameterPath) is { } path)
                    {
                        yield return (path, clause.SuccessValue);
                    }
                }
            }
        }

        /// <summary>The value a <c>return</c> hands back, where it is a constant or a local of known value.</summary>
        private static ConditionValue? ReturnedValue(ExitEvent e)
        {
            var value = FlowEngine.StripConversions(e.Returned);
            if (value is null)
            {
                return null;
            }

            if (value.ConstantValue.HasValue)
            {
                return ConditionValue.FromConstant(value.ConstantValue.Value);
            }

            return value is Microsoft.CodeAnalysis.Operations.ILocalReferenceOperation local ? e.State.Values.Of(ValueKey.Local(local.Local)) : null;
        }

        public override void OnBodyDone(BodyContext body)
        {
            foreach (var pair in _touchedPartial.OrderBy(p => p.Key.Site.Syntax.SpanStart))
            {
                var (held, extra) = pair.Value;
                if (!_reported1009.Add(pair.Key))
                {
                    continue;
                }

                var partial = held.Partial!;
                var where = partial.Merge is null ? "a merge point" : "line " + LineOf(partial.Merge.GetLocation());
                if (held.Site is null)
                {
                    // Held by contract, released here on some paths: the release is the site, the merge the other place to look.
                    Report(Descriptors.LockHeldOnSomePaths, pair.Key.Site.Syntax.GetLocation(), new[] { partial.Merge }.Where(l => l is not null).Select(l => l!.GetLocation()),
                        held.Lock, "released here is still", where + " (it is held by contract on the other paths)");
                    continue;
                }

                var path = partial.LackingPath is null ? string.Empty : $" (not on the path through line {LineOf(partial.LackingPath.GetLocation())})";
                var additional = new[] { partial.LackingPath ?? partial.Merge }.Where(l => l is not null).Select(l => l!.GetLocation());
                Report(Descriptors.LockHeldOnSomePaths, pair.Key.Site.Syntax.GetLocation(), additional, held.Lock, "acquired here is", where + path);
            }

            foreach (var pair in _leaks.OrderBy(p => p.Key.Syntax.SpanStart))
            {
                var leak = pair.Value;
                if (leak.OnlyPartial && _touchedPartial.ContainsKey((pair.Key, leak.Held.Lock)))
                {
                    continue;
                }

                var exits = leak.Exits.OrderBy(l => l.SourceSpan.Start).ToArray();
                var where = (exits.Length == 1 ? "line " : "lines ") + string.Join(", ", exits.Select(LineOf));
                var hint = _handedToHelpers.TryGetValue(leak.Held.Lock, out var helpers) && helpers.FirstOrDefault(h => ReleasesSomething(h.Helper)) is { Helper: not null } helper
                    ? $"; if '{helper.Helper.Name}' releases it, add [Releases(\"{helper.Expression}\")] to '{helper.Helper.Name}'"
                    : string.Empty;
                Report(Descriptors.LockNotReleased, pair.Key.Syntax.GetLocation(), exits, leak.Held.Lock, body.Name, where, hint);
            }

            _leaks.Clear();
            _touchedPartial.Clear();
            _reported1009.Clear();
            _handedToHelpers.Clear();
        }

        /// <summary>One finding per site and lock (§7.22): true the first time <paramref name="lockPath"/> is reported at this call.</summary>
        private static bool FirstFinding(ref List<AccessPath>? reported, AccessPath lockPath)
        {
            if (reported is not null && reported.Contains(lockPath))
            {
                return false;
            }

            (reported ??= new List<AccessPath>()).Add(lockPath);
            return true;
        }

        private void CheckRequirement(CallEvent e, RequireLock require, ref List<AccessPath>? reported)
        {
            var held = e.Before.Find(require.Lock);
            if (held is { IsHeld: true } && (require.Shared || !held.Shared))
            {
                return;
            }

            Touch(held, e.Site.Location);
            if (held is not { IsHeld: true } && e.Effects.Any(x => x is ReleaseLock r && r.Lock.Equals(require.Lock)))
            {
                // The release at this call is the finding (DRV1004), never also DRV1002.
                return;
            }

            if (!FirstFinding(ref reported, require.Lock))
            {
                return;
            }

            var detail = held is { IsHeld: true, Shared: true } ? " exclusively (it is held shared)" : require.Shared ? string.Empty : " exclusively";
            Report(Descriptors.RequiredLockNotHeld, e.Site.Location, Also(held), RequiresFix(e.Body, require.Lock), e.Site.Callee.Name, require.Lock, detail + LaterNote(e.Body));
        }

        private void CheckAcquire(CallEvent e, AccessPath lockPath, bool reentrant, List<AccessPath>? excluded, ref List<AccessPath>? reported)
        {
            var held = e.Before.Find(lockPath);
            if (held is { IsHeld: false })
            {
                Touch(held, e.Site.Location);
                return;
            }

            if (held is null || reentrant || held.Reentrant || (excluded?.Contains(lockPath) ?? false) || !FirstFinding(ref reported, lockPath))
            {
                return;
            }

            Report(Descriptors.LockAcquiredTwice, e.Site.Location, Also(held), lockPath, Where(held));
        }

        private void CheckRelease(CallEvent e, ReleaseLock release, ref List<AccessPath>? reported)
        {
            var held = e.Before.Find(release.Lock);
            if (held is { IsHeld: true })
            {
                if (release.Shared is { } shared && shared != held.Shared && FirstFinding(ref reported, release.Lock))
                {
                    // up_write after down_read, or up_read after down_write (Clang: "releasing mutex using shared access, expected exclusive").
                    Report(Descriptors.ReleaseOfLockNotHeld, e.Site.Location, Also(held), release.Lock,
                        shared ? " shared (it is held exclusively)" : " exclusively (it is held shared)");
                }

                return;
            }

            Touch(held, e.Site.Location);
            if (!FirstFinding(ref reported, release.Lock))
            {
                return;
            }

            var earlier = held is null ? e.Before.Locks.LastRelease(release.Lock) : null;
            var detail = held is not null ? " on every path (it is held on some paths only)"
                : earlier is not null ? " on this path (it was released at line " + LineOf(earlier.Syntax.GetLocation()) + ")"
                : " on this path";
            var additional = earlier is not null ? new[] { earlier.Syntax.GetLocation() } : held?.Site is { } site ? new[] { site.Syntax.GetLocation() } : Array.Empty<Location>();
            Report(Descriptors.ReleaseOfLockNotHeld, e.Site.Location, additional, release.Lock, detail);
        }

        private void CheckCallee(CallEvent e, MethodSummary summary, List<AccessPath>? excluded, ref List<AccessPath>? reported)
        {
            foreach (var acquisition in summary.Events.OfType<AcquisitionEvent>())
            {
                if (!acquisition.Blocking || acquisition.Reentrant || acquisition.ReportedInCallee || acquisition.ReleasedRequiredFirst || acquisition.Lock is null)
                {
                    continue;
                }

                if (e.Site.Substitute(acquisition.Lock) is not { } lockPath || e.Before.Find(lockPath) is not { IsHeld: true, Reentrant: false } held ||
                    (excluded?.Contains(lockPath) ?? false) || !FirstFinding(ref reported, lockPath))
                {
                    continue;
                }

                Report(Descriptors.LockAcquiredTwice, e.Site.Location, Also(held), lockPath, Where(held) + " through '" + e.Site.Method.Name + " → " + acquisition.Chain + "'");
            }
        }

        /// <summary>A partial hold is touched (released, required, excluded, guarded-accessed): its paths differing is the finding (DRV1009), not a leak.</summary>
        /// <summary>
        /// A partial hold is touched: the finding goes at its acquire, or, for a lock held by contract (no acquire in the
        /// body), at the release that made the paths differ (§7.1).
        /// </summary>
        private void Touch(HeldLock? held, Location at)
        {
            if (held is { IsHeld: false } && (held.Site ?? held.Partial!.Release) is { } site && !_touchedPartial.ContainsKey((site, held.Lock)))
            {
                _touchedPartial[(site, held.Lock)] = (held, at);
            }
        }

        private void AddLeak(HeldLock held, Location exit, bool partial)
        {
            if (!_leaks.TryGetValue(held.Site!, out var leak))
            {
                leak = new Leak(held, partial);
                _leaks.Add(held.Site!, leak);
            }

            leak.OnlyPartial &= partial;
            if (!leak.Exits.Contains(exit))
            {
                leak.Exits.Add(exit);
            }
        }

        /// <summary>
        /// A held lock passed to a method of this compilation without a lock contract that releases some lock: if the
        /// lock then leaks, the message suggests annotating that helper.
        /// </summary>
        private void RememberHandOffs(CallEvent e)
        {
            if (!e.Before.Locks.AnyHeld || e.Site.Method.DeclaringSyntaxReferences.IsEmpty || _contracts.ForMethod(e.Site.Method).HasLockContract)
            {
                return;
            }

            // Only candidates are kept here; whether a helper releases anything is looked at when a leak is reported.
            foreach (var held in e.Before.Locks.Held.Where(h => h.IsHeld && h.Origin == HoldOrigin.Acquired))
            {
                if (HelperExpression(e.Site, held.Lock) is not { } expression)
                {
                    continue;
                }

                if (!_handedToHelpers.TryGetValue(held.Lock, out var candidates))
                {
                    candidates = new List<(IMethodSymbol, string)>();
                    _handedToHelpers.Add(held.Lock, candidates);
                }

                if (candidates.Count < 4 && !candidates.Any(c => SymbolEqualityComparer.Default.Equals(c.Helper, e.Site.Method)))
                {
                    candidates.Add((e.Site.Method, expression));
                }
            }
        }

        private static string? HelperExpression(CallSite site, AccessPath lockPath)
        {
            for (var ordinal = 0; ordinal < site.Method.Parameters.Length; ordinal++)
            {
                if (site.Argument(ordinal) is { } argument && IsPrefix(argument, lockPath))
                {
                    var rest = lockPath.Members.Skip(argument.Members.Length).Select(m => m.Name);
                    return string.Join(".", new[] { site.Method.Parameters[ordinal].Name }.Concat(rest));
                }
            }

            if (site.Receiver is { } receiver && IsPrefix(receiver, lockPath) && lockPath.Members.Length > receiver.Members.Length)
            {
                return string.Join(".", lockPath.Members.Skip(receiver.Members.Length).Select(m => m.Name));
            }

            return null;
        }

        private static bool IsPrefix(AccessPath prefix, AccessPath path) =>
            prefix.Kind == path.Kind && SymbolEqualityComparer.Default.Equals(prefix.Root, path.Root) && prefix.Members.Length <= path.Members.Length &&
            prefix.Members.Select((m, i) => SymbolEqualityComparer.Default.Equals(m, path.Members[i])).All(x => x);

        private bool ReleasesSomething(IMethodSymbol method)
        {
            foreach (var reference in method.DeclaringSyntaxReferences)
            {
                var syntax = reference.GetSyntax();
                var model = _contracts.Models.For(syntax.SyntaxTree);
                if (model.GetOperation(syntax) is not { } operation)
                {
                    continue;
                }

                foreach (var invocation in operation.DescendantsAndSelf().OfType<IInvocationOperation>())
                {
                    if (!_contracts.ForMethod(invocation.TargetMethod).Releases.IsEmpty ||
                        (invocation.TargetMethod.Name == "Exit" && SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, _contracts.Known.Monitor)))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        private static string LaterNote(BodyContext body) => body.RunsLater ? " (in a lambda, which runs later with no lock held)" : string.Empty;

        private static IEnumerable<Location> Also(HeldLock? held) =>
            held?.Site is { } site ? new[] { site.Syntax.GetLocation() } : Array.Empty<Location>();

        private static string Where(HeldLock held) => held.Origin switch
        {
            HoldOrigin.Entry => " (the caller holds it by contract)",
            HoldOrigin.Asserted => " (asserted held at line " + Line(held) + ")",
            _ => " (acquired at line " + Line(held) + ")",
        };

        private static string Line(HeldLock held) => held.Site is null ? "?" : LineOf(held.Site.Syntax.GetLocation());

        private static string LineOf(Location location) =>
            (location.GetLineSpan().StartLinePosition.Line + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);

        /// <summary>
        /// For the "Add [Requires]" code fix: the lock written in the reporting method's own frame, when that frame can
        /// name it (<c>this</c> and its members, the method's parameters, static members) and the body is the method itself.
        /// </summary>
        private static ImmutableDictionary<string, string?>? RequiresFix(BodyContext body, AccessPath lockPath)
        {
            if (body.Symbol is not { MethodKind: MethodKind.Ordinary } method)
            {
                return null;
            }

            var expressible = lockPath.Kind switch
            {
                PathRootKind.This => !method.IsStatic,
                PathRootKind.Parameter => SymbolEqualityComparer.Default.Equals(lockPath.Root?.ContainingSymbol?.OriginalDefinition, method.OriginalDefinition),
                PathRootKind.Static => true,
                _ => false,
            };
            return expressible ? ImmutableDictionary<string, string?>.Empty.Add(RequiresLockProperty, lockPath.ToString()) : null;
        }

        /// <summary>The diagnostic property the "Add [Requires]" code fix reads (DriverSafety.CodeFixes.AddRequiresCodeFix.LockProperty).</summary>
        public const string RequiresLockProperty = "RequiresLock";

        private void Report(DiagnosticDescriptor descriptor, Location location, IEnumerable<Location> additional, params object[] args) =>
            Report(descriptor, location, additional, null, args);

        private void Report(DiagnosticDescriptor descriptor, Location location, IEnumerable<Location> additional, ImmutableDictionary<string, string?>? properties, params object[] args) =>
            _report(Diagnostic.Create(descriptor, location, additional, properties, args.Select(a => a.ToString()).ToArray()));

        private sealed class Leak
        {
            public Leak(HeldLock held, bool partial)
            {
                Held = held;
                OnlyPartial = partial;
            }

            public HeldLock Held { get; }
            public bool OnlyPartial { get; set; }
            public List<Location> Exits { get; } = new List<Location>();
        }
    }
}
