using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Analyzers.Flow;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Rules
{
    /// <summary>
    /// The lock-discipline family (Clang's -Wthread-safety): DRV1001, DRV1002, DRV1003, DRV1004, DRV1005, DRV1006,
    /// DRV1009, DRV1011. It turns the engine's events into diagnostics; it never walks a body itself.
    /// </summary>
    internal sealed class LockingRules : FlowObserver
    {
        private readonly Action<Diagnostic> _report;
        private readonly Dictionary<IOperation, (HeldLock Held, List<Location> Exits)> _leaks = new Dictionary<IOperation, (HeldLock, List<Location>)>();

        public LockingRules(Action<Diagnostic> report) => _report = report;

        public override void GuardedAccess(BodyContext body, IOperation site, ISymbol member, AccessPath lockPath, bool write, HeldLock? held)
        {
            if (held is { Maybe: false } && (!write || !held.Shared))
            {
                return;
            }

            var detail = write ? held is { Maybe: false, Shared: true } ? " exclusively (it is held shared)" : " exclusively" : string.Empty;
            Report(Descriptors.GuardedMemberWithoutLock, site.Syntax.GetLocation(), Also(held), RequiresFix(body, lockPath), write ? "Write" : "Read", member.Name, lockPath, detail);
        }

        public override void LockRequired(BodyContext body, IOperation site, ISymbol callee, AccessPath lockPath, bool sharedSuffices, HeldLock? held)
        {
            if (held is { Maybe: false } && (sharedSuffices || !held.Shared))
            {
                return;
            }

            var detail = held is { Maybe: false, Shared: true } ? " exclusively (it is held shared)" : sharedSuffices ? string.Empty : " exclusively";
            Report(Descriptors.RequiredLockNotHeld, site.Syntax.GetLocation(), Also(held), RequiresFix(body, lockPath), callee.Name, lockPath, detail);
        }

        public override void LockAcquired(BodyContext body, IOperation site, AccessPath lockPath, HeldLock? alreadyHeld)
        {
            if (alreadyHeld is { Maybe: false })
            {
                Report(Descriptors.LockAcquiredTwice, site.Syntax.GetLocation(), Also(alreadyHeld), lockPath, Where(alreadyHeld));
            }
        }

        public override void CalleeAcquires(BodyContext body, IOperation site, AccessPath lockPath, HeldLock? alreadyHeld, string chain)
        {
            if (alreadyHeld is { Maybe: false })
            {
                Report(Descriptors.LockAcquiredTwice, site.Syntax.GetLocation(), Also(alreadyHeld), lockPath, Where(alreadyHeld) + " through '" + chain + "'");
            }
        }

        public override void LockReleased(BodyContext body, IOperation site, AccessPath lockPath, HeldLock? held, bool? sharedRelease)
        {
            if (held is null)
            {
                Report(Descriptors.ReleaseOfLockNotHeld, site.Syntax.GetLocation(), Array.Empty<Location>(), lockPath, " on this path");
            }
            else if (!held.Maybe && sharedRelease is { } shared && shared != held.Shared)
            {
                // up_write after down_read, or up_read after down_write (Clang: "releasing mutex using shared access, expected exclusive").
                Report(Descriptors.ReleaseOfLockNotHeld, site.Syntax.GetLocation(), Also(held), lockPath,
                    shared ? " shared (it is held exclusively)" : " exclusively (it is held shared)");
            }
        }

        public override void ExcludedLockHeld(BodyContext body, IOperation site, ISymbol callee, AccessPath lockPath, HeldLock held) =>
            Report(Descriptors.ExcludedLockHeld, site.Syntax.GetLocation(), Also(held), callee.Name, lockPath);

        public override void LockHeldOnSomePaths(BodyContext body, HeldLock held, Location? mergePoint)
        {
            if (held.Site is not null)
            {
                Report(Descriptors.LockHeldOnSomePaths, held.Site.Syntax.GetLocation(), mergePoint is null ? Array.Empty<Location>() : new[] { mergePoint }, held.Lock,
                    mergePoint is null ? "a merge point" : "line " + LineOf(mergePoint));
            }
        }

        public override void BodyExit(BodyContext body, Location exit, FlowState state)
        {
            foreach (var held in state.Locks)
            {
                if (held.Origin == HoldOrigin.Acquired && !held.Maybe && held.Site is not null && !body.Acquires.Contains(held.Lock) && !body.TryAcquires.Contains(held.Lock))
                {
                    if (!_leaks.TryGetValue(held.Site, out var leak))
                    {
                        leak = (held, new List<Location>());
                        _leaks.Add(held.Site, leak);
                    }

                    if (!leak.Exits.Contains(exit))
                    {
                        leak.Exits.Add(exit);
                    }
                }

                if (held.Origin == HoldOrigin.Entry && body.Releases.Contains(held.Lock))
                {
                    Report(Descriptors.MethodBreaksLockContract, exit, Array.Empty<Location>(), body.Name, "releases", held.Lock, "it is still held");
                }
            }

            foreach (var declared in body.Acquires)
            {
                if (state.Find(declared) is null)
                {
                    Report(Descriptors.MethodBreaksLockContract, exit, Array.Empty<Location>(), body.Name, "acquires", declared, "it is not held");
                }
            }
        }

        public override void BodyDone(BodyContext body)
        {
            foreach (var pair in _leaks.OrderBy(p => p.Key.Syntax.SpanStart))
            {
                var exits = pair.Value.Exits.OrderBy(l => l.SourceSpan.Start).ToArray();
                var where = (exits.Length == 1 ? "line " : "lines ") + string.Join(", ", exits.Select(LineOf));
                Report(Descriptors.LockNotReleased, pair.Key.Syntax.GetLocation(), exits, pair.Value.Held.Lock, body.Name, where);
            }

            _leaks.Clear();
        }

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
    }
}
