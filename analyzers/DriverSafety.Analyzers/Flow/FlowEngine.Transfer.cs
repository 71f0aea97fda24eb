using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverSafety.Analyzers.Flow
{
    internal sealed partial class FlowEngine
    {
        private enum Access
        {
            Read,
            Write,
            ReadWrite,
        }

        /// <summary>The transfer functions: one visit of a block's operations, in evaluation order.</summary>
        private readonly struct Walk
        {
            private readonly FlowEngine _engine;
            private readonly CfgInfo _info;
            private readonly bool _reporting;

            public Walk(FlowEngine engine, CfgInfo info, bool reporting)
            {
                _engine = engine;
                _info = info;
                _reporting = reporting;
            }

            private IFlowObserver? Observer => _reporting ? _engine._observer : null;

            public FlowState? Visit(IOperation operation, FlowState state) => Visit(operation, state, Access.Read);

            private FlowState? Visit(IOperation? operation, FlowState? state, Access access)
            {
                if (operation is null || state is null)
                {
                    return state;
                }

                switch (operation)
                {
                    case IFlowAnonymousFunctionOperation lambda:
                        if (_reporting && _engine._lambdaSeen.Add(lambda))
                        {
                            _engine._lambdas.Add((_info.Cfg, lambda));
                        }

                        return state;

                    case INameOfOperation or ITypeOfOperation or ISizeOfOperation:
                        // Names a member without reading it.
                        return state;

                    case IInvocationOperation invocation:
                        state = Visit(invocation.Instance, state, Access.Read);
                        state = VisitArguments(invocation.Arguments, state);
                        return Call(invocation, invocation.TargetMethod, invocation.Instance, invocation.Arguments, state);

                    case IObjectCreationOperation creation:
                        state = VisitArguments(creation.Arguments, state);
                        if (creation.Constructor is { } constructor)
                        {
                            state = Call(creation, constructor, null, creation.Arguments, state);
                        }

                        return Visit(creation.Initializer, state, Access.Read);

                    case ISimpleAssignmentOperation assignment:
                        state = VisitTargetReceiver(assignment.Target, state);
                        state = Visit(assignment.Value, state, Access.Read);
                        state = CheckMember(assignment.Target, Access.Write, state);
                        return Store(assignment.Target, assignment.Value, state);

                    case ICompoundAssignmentOperation compound:
                        state = VisitTargetReceiver(compound.Target, state);
                        state = Visit(compound.Value, state, Access.Read);
                        state = CheckMember(compound.Target, Access.ReadWrite, state);
                        return state is null ? null : Forget(compound.Target, state);

                    case ICoalesceAssignmentOperation coalesce:
                        state = VisitTargetReceiver(coalesce.Target, state);
                        state = Visit(coalesce.Value, state, Access.Read);
                        state = CheckMember(coalesce.Target, Access.ReadWrite, state);
                        return state is null ? null : Forget(coalesce.Target, state);

                    case IIncrementOrDecrementOperation increment:
                        state = VisitTargetReceiver(increment.Target, state);
                        state = CheckMember(increment.Target, Access.ReadWrite, state);
                        return state is null ? null : Forget(increment.Target, state);

                    case IFlowCaptureOperation capture:
                        state = Visit(capture.Value, state, Access.Read);
                        return state is null ? null : KeyOf(capture.Value) is { } from ? state.Bind(from, ValueKey.Capture(capture.Id)) : KnownConstant(ValueKey.Capture(capture.Id), capture.Value, state);

                    case IFieldReferenceOperation or IPropertyReferenceOperation:
                        state = VisitTargetReceiver(operation, state);
                        return CheckMember(operation, access, state);

                    default:
                        foreach (var child in operation.ChildOperations)
                        {
                            state = Visit(child, state, Access.Read);
                            if (state is null)
                            {
                                return null;
                            }
                        }

                        return state;
                }
            }

            private FlowState? VisitArguments(ImmutableArray<IArgumentOperation> arguments, FlowState? state)
            {
                foreach (var argument in arguments)
                {
                    var access = argument.Parameter?.RefKind switch
                    {
                        RefKind.Out => Access.Write,
                        RefKind.Ref => Access.ReadWrite,
                        _ => Access.Read,
                    };
                    state = Visit(argument.Value, state, access);
                    if (access != Access.Read && state is not null)
                    {
                        state = Forget(argument.Value, state);
                    }
                }

                return state;
            }

            /// <summary>Visits what is evaluated before a member is read or written: its receiver and indexer arguments.</summary>
            private FlowState? VisitTargetReceiver(IOperation target, FlowState? state)
            {
                switch (target)
                {
                    case IFieldReferenceOperation field:
                        return Visit(field.Instance, state, Access.Read);
                    case IPropertyReferenceOperation property:
                        state = Visit(property.Instance, state, Access.Read);
                        return VisitArguments(property.Arguments, state);
                    case IMemberReferenceOperation:
                        return state;
                    default:
                        return Visit(target, state, Access.Read) is { } visited ? visited : null;
                }
            }

            /// <summary>Checks the lock rules of a member read or write: <c>[GuardedBy]</c>, and the property accessors' contracts.</summary>
            private FlowState? CheckMember(IOperation target, Access access, FlowState? state)
            {
                if (state is null)
                {
                    return null;
                }

                ISymbol member;
                IOperation? instance;
                switch (target)
                {
                    case IFieldReferenceOperation field:
                        member = field.Field;
                        instance = field.Instance;
                        break;
                    case IPropertyReferenceOperation property:
                        member = property.Property;
                        instance = property.Instance;
                        if (access != Access.Write && property.Property.GetMethod is { } getter)
                        {
                            state = Call(property, getter, instance, property.Arguments, state);
                        }

                        if (access != Access.Read && property.Property.SetMethod is { } setter && state is not null)
                        {
                            state = Call(property, setter, instance, property.Arguments, state);
                        }

                        if (state is null)
                        {
                            return null;
                        }

                        break;
                    default:
                        return state;
                }

                var contract = _engine._contracts.ForMember(member);
                if (contract.GuardedBy.IsEmpty || Observer is not { } observer)
                {
                    return state;
                }

                var thisPath = member.IsStatic ? null : _engine.PathOf(_info, instance);
                if (_engine._body.IsConstructor && IsOwnInitialization(member, thisPath))
                {
                    return state;
                }

                foreach (var lockExpr in contract.GuardedBy)
                {
                    var lockPath = lockExpr.Substitute(thisPath, _ => null);
                    if (lockPath is not null)
                    {
                        observer.GuardedAccess(_engine._body, target, member, lockPath, access != Access.Read, state.Find(lockPath));
                    }
                }

                return state;
            }

            /// <summary>A constructor initialises its own object before anyone else can see it (no lock needed, as in Clang).</summary>
            private bool IsOwnInitialization(ISymbol member, AccessPath? thisPath)
            {
                if (member.IsStatic)
                {
                    return _engine._body.Symbol?.MethodKind == MethodKind.StaticConstructor &&
                        SymbolEqualityComparer.Default.Equals(member.ContainingType, _engine._body.Symbol.ContainingType);
                }

                return thisPath is { Kind: PathRootKind.This };
            }

            private FlowState? Store(IOperation target, IOperation value, FlowState? state)
            {
                if (state is null)
                {
                    return null;
                }

                var key = KeyOf(target);
                if (key is null)
                {
                    return state;
                }

                return KeyOf(value) is { } from ? state.Bind(from, key.Value) : KnownConstant(key.Value, value, state.Forget(key.Value));
            }

            private static FlowState Forget(IOperation target, FlowState state) => KeyOf(target) is { } key ? state.Forget(key) : state;

            private static FlowState KnownConstant(ValueKey key, IOperation value, FlowState state)
            {
                var constant = value.ConstantValue;
                if (constant.HasValue && ConditionValue.FromConstant(constant.Value) is { } known)
                {
                    return state.With(known: state.Known.RemoveAll(k => k.Key.Equals(key)).Add(new KnownValue(key, known)));
                }

                return state;
            }

            /// <summary>Applies a call's lock contract (or, for a local function, its body; for an unannotated method, its summary).</summary>
            private FlowState? Call(IOperation site, IMethodSymbol method, IOperation? instance, ImmutableArray<IArgumentOperation> arguments, FlowState? state)
            {
                if (state is null)
                {
                    return null;
                }

                if (method.MethodKind == MethodKind.LocalFunction)
                {
                    return _engine.InlineLocalFunction(_info, method, arguments, state, _reporting);
                }

                if (_engine.MonitorCall(_info, site, method, arguments, state, Observer) is { } afterMonitor)
                {
                    return afterMonitor;
                }

                if (method.Name == "Dispose" && method.Parameters.IsEmpty && instance is not null && KeyOf(instance) is { } guardKey &&
                    state.Guards.FirstOrDefault(g => g.Key.Equals(guardKey)) is { } guard)
                {
                    foreach (var lockPath in guard.Locks)
                    {
                        var held = state.Find(lockPath);
                        Observer?.LockReleased(_engine._body, site, lockPath, held);
                        state = state.RemoveLock(lockPath);
                        if (held?.DisabledIrqs == true)
                        {
                            state = state.With(irqDepth: state.IrqDepth - 1);
                        }
                    }

                    return state.With(guards: state.Guards.Remove(guard));
                }

                var contract = _engine._contracts.ForMethod(method);
                var engine = _engine;
                var info = _info;
                var thisPath = method.IsStatic || method.MethodKind == MethodKind.Constructor ? null : instance is null ? AccessPath.This : engine.PathOf(info, instance);
                AccessPath? ArgumentPath(int ordinal) => engine.PathOf(info, arguments.FirstOrDefault(a => a.Parameter?.Ordinal == ordinal)?.Value);

                var excluded = new List<AccessPath>();
                foreach (var clause in contract.Requires)
                {
                    if (clause.Lock.Substitute(thisPath, ArgumentPath) is { } lockPath)
                    {
                        Observer?.LockRequired(_engine._body, site, method.AssociatedSymbol ?? method, lockPath, clause.Shared, state.Find(lockPath));
                    }
                }

                foreach (var clause in contract.Excludes)
                {
                    if (clause.Lock.Substitute(thisPath, ArgumentPath) is { } lockPath && state.Find(lockPath) is { Maybe: false } held)
                    {
                        Observer?.ExcludedLockHeld(_engine._body, site, method, lockPath, held);
                        excluded.Add(lockPath);
                    }
                }

                foreach (var clause in contract.Releases)
                {
                    if (clause.Lock.Substitute(thisPath, ArgumentPath) is { } lockPath)
                    {
                        var held = state.Find(lockPath);
                        Observer?.LockReleased(_engine._body, site, lockPath, held);
                        state = state.RemoveLock(lockPath);
                        if (held?.DisabledIrqs == true)
                        {
                            state = state.With(irqDepth: state.IrqDepth - 1);
                        }
                    }
                }

                var acquired = ImmutableArray.CreateBuilder<AccessPath>();
                foreach (var clause in contract.Acquires)
                {
                    if (clause.Lock.Substitute(thisPath, ArgumentPath) is { } lockPath)
                    {
                        var held = state.Find(lockPath);
                        if (!excluded.Contains(lockPath))
                        {
                            Observer?.LockAcquired(_engine._body, site, lockPath, held);
                        }

                        if (held is not { Maybe: false })
                        {
                            // A second acquisition of a held lock is DRV1005; the original hold stays (as in Clang), so its
                            // exit and release are judged once.
                            state = state.AddLock(new HeldLock(lockPath, clause.Shared, false, HoldOrigin.Acquired, site, _engine.LockKindOf(lockPath), clause.DisablesIrqs));
                        }

                        if (clause.DisablesIrqs)
                        {
                            state = state.With(irqDepth: state.IrqDepth + 1);
                        }

                        acquired.Add(lockPath);
                    }
                }

                if (contract.ReturnsGuard && acquired.Count > 0)
                {
                    state = state.With(guards: state.Guards.Add(new GuardBinding(ValueKey.Operation(site), acquired.ToImmutable())));
                }

                foreach (var clause in contract.TryAcquires)
                {
                    var paths = clause.Locks.Select(l => l.Substitute(thisPath, ArgumentPath)).Where(p => p is not null).Select(p => p!).ToImmutableArray();
                    if (!paths.IsEmpty)
                    {
                        state = state.With(pending: state.Pending.Add(new PendingTry(ValueKey.Operation(site), paths, clause.Shared, clause.SuccessValue, site, _engine.LockKindOf(paths[0]))));
                    }
                }

                foreach (var clause in contract.AssertsHeld)
                {
                    if (clause.Lock.Substitute(thisPath, ArgumentPath) is { } lockPath && state.Find(lockPath) is not { Maybe: false })
                    {
                        state = state.AddLock(new HeldLock(lockPath, false, false, HoldOrigin.Asserted, site, _engine.LockKindOf(lockPath), false));
                    }
                }

                // A callee's summary matters for a diagnostic only where a lock is held (DRV1005 through it); a summary run
                // collects every acquisition.
                if (!contract.HasLockEffects && !contract.IsLockPrimitive && _engine._summaries is { } summaries && Observer is { } observer &&
                    (_engine._collectingSummary || state.Locks.Any(l => !l.Maybe)))
                {
                    foreach (var entry in summaries.Get(method).Acquires)
                    {
                        if (entry.Lock.Substitute(thisPath, ArgumentPath) is { } lockPath && !excluded.Contains(lockPath))
                        {
                            observer.CalleeAcquires(_engine._body, site, lockPath, state.Find(lockPath), method.Name + " → " + entry.Chain);
                        }
                    }
                }

                return state;
            }
        }

        private int LockKindOf(AccessPath lockPath) => _contracts.Resolver.LockKindOf(lockPath.Type) ?? 0;

        /// <summary>The C# <c>lock</c> statement and <c>Monitor.Enter/Exit</c>: a sleeping lock named by its expression.</summary>
        private FlowState? MonitorCall(CfgInfo info, IOperation site, IMethodSymbol method, ImmutableArray<IArgumentOperation> arguments, FlowState state, IFlowObserver? observer)
        {
            if (_contracts.Known.Monitor is not { } monitor || !SymbolEqualityComparer.Default.Equals(method.ContainingType, monitor) || arguments.IsEmpty)
            {
                return null;
            }

            var lockPath = PathOf(info, arguments[0].Value);
            switch (method.Name)
            {
                case "Enter":
                    if (lockPath is not null)
                    {
                        // .NET monitors are re-entrant: entering a held one nests, it does not deadlock.
                        state = state.Find(lockPath) is { Maybe: false } held
                            ? state.AddLock(held.WithDepth(held.Depth + 1))
                            : state.AddLock(new HeldLock(lockPath, false, false, HoldOrigin.Acquired, site, 0, false));
                        observer?.LockAcquired(_body, site, lockPath, null);
                    }

                    if (arguments.Length > 1 && KeyOf(arguments[1].Value) is { } taken)
                    {
                        state = state.With(known: state.Known.RemoveAll(k => k.Key.Equals(taken)).Add(new KnownValue(taken, ConditionValue.Bool(true))));
                    }

                    return state;
                case "TryEnter" when lockPath is not null:
                    if (arguments.Length > 1 && arguments[arguments.Length - 1].Parameter?.RefKind == RefKind.Ref && KeyOf(arguments[arguments.Length - 1].Value) is { } tryTaken)
                    {
                        return state.With(pending: state.Pending.Add(new PendingTry(tryTaken, ImmutableArray.Create(lockPath), false, ConditionValue.Bool(true), site, 0)));
                    }

                    return state.With(pending: state.Pending.Add(new PendingTry(ValueKey.Operation(site), ImmutableArray.Create(lockPath), false, ConditionValue.Bool(true), site, 0)));
                case "Exit" when lockPath is not null:
                    var current = state.Find(lockPath);
                    observer?.LockReleased(_body, site, lockPath, current);
                    return current is { Depth: > 1 } ? state.AddLock(current.WithDepth(current.Depth - 1)) : state.RemoveLock(lockPath);
                default:
                    return null;
            }
        }

        /// <summary>
        /// Calling a local function runs its body under the caller's state (its CFG is walked in place), with each of its
        /// parameters that the body never reassigns denoting the access path of the call's argument.
        /// </summary>
        private FlowState? InlineLocalFunction(CfgInfo info, IMethodSymbol function, ImmutableArray<IArgumentOperation> arguments, FlowState state, bool reporting)
        {
            _inlined.Add(function);
            if (_inlineStack.Count >= MaxInlineDepth || _inlineStack.Contains(function, SymbolEqualityComparer.Default))
            {
                return state;
            }

            ControlFlowGraph cfg;
            try
            {
                cfg = info.Cfg.GetLocalFunctionControlFlowGraphInScope(function);
            }
            catch (System.ArgumentException)
            {
                // Incomplete code: the local function is not declared in scope; the call has no known effect.
                return state;
            }

            var reassigned = ReassignedParameters(cfg);
            var aliases = new List<(IParameterSymbol Parameter, AccessPath Path)>();
            foreach (var argument in arguments)
            {
                if (argument.Parameter is { RefKind: RefKind.None } parameter && !reassigned.Contains(parameter) && PathOf(info, argument.Value) is { } path)
                {
                    aliases.Add((parameter, path));
                }
            }

            var key = (function, state, reporting, string.Join("|", aliases.Select(a => a.Parameter.Ordinal + "=" + a.Path)));
            if (_inlineRuns.TryGetValue(key, out var cached))
            {
                return cached;
            }

            foreach (var (parameter, path) in aliases)
            {
                _parameterAliases[parameter] = path;
            }

            _inlineStack.Add(function);
            var result = RunCfg(cfg, state, reporting, topLevel: false);
            _inlineStack.RemoveAt(_inlineStack.Count - 1);
            foreach (var (parameter, _) in aliases)
            {
                _parameterAliases.Remove(parameter);
            }

            _inlineRuns[key] = result;
            return result;
        }

        private HashSet<IParameterSymbol> ReassignedParameters(ControlFlowGraph cfg)
        {
            var result = new HashSet<IParameterSymbol>(SymbolEqualityComparer.Default);
            foreach (var block in cfg.Blocks)
            {
                foreach (var operation in block.Operations)
                {
                    foreach (var node in operation.DescendantsAndSelf())
                    {
                        var target = node switch
                        {
                            IAssignmentOperation assignment => assignment.Target,
                            IIncrementOrDecrementOperation increment => increment.Target,
                            IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } argument => argument.Value,
                            _ => null,
                        };
                        if (target is IParameterReferenceOperation parameter)
                        {
                            result.Add(parameter.Parameter);
                        }
                    }
                }
            }

            return result;
        }

        /// <summary>The access path an operation denotes (<c>this.Resv</c>, <c>gem.Resv</c>, <c>Device.StructMutex</c>), or null.</summary>
        private AccessPath? PathOf(CfgInfo info, IOperation? operation)
        {
            operation = StripConversions(operation);
            switch (operation)
            {
                case IInstanceReferenceOperation:
                    return AccessPath.This;
                case IParameterReferenceOperation parameter:
                    return _parameterAliases.TryGetValue(parameter.Parameter, out var alias) ? alias : AccessPath.ForParameter(parameter.Parameter);
                case ILocalReferenceOperation local:
                    return AccessPath.ForLocal(local.Local);
                case IFieldReferenceOperation field:
                    return field.Field.IsStatic ? AccessPath.ForStatic(field.Field.ContainingType).Append(field.Field) : PathOf(info, field.Instance)?.Append(field.Field);
                case IPropertyReferenceOperation property when property.Arguments.IsEmpty:
                    return property.Property.IsStatic ? AccessPath.ForStatic(property.Property.ContainingType).Append(property.Property) : PathOf(info, property.Instance)?.Append(property.Property);
                case IFlowCaptureReferenceOperation capture:
                    return info.Captures.TryGetValue(capture.Id, out var value) && value is not null ? PathOf(info, value) : null;
                default:
                    return null;
            }
        }

        /// <summary>The key facts about a value hang off: a local, a flow capture, or the call that produced it.</summary>
        private static ValueKey? KeyOf(IOperation? operation)
        {
            operation = StripConversions(operation);
            return operation switch
            {
                ILocalReferenceOperation local => ValueKey.Local(local.Local),
                IFlowCaptureReferenceOperation capture => ValueKey.Capture(capture.Id),
                IInvocationOperation or IObjectCreationOperation => ValueKey.Operation(operation),
                _ => null,
            };
        }

        private static IOperation? StripConversions(IOperation? operation)
        {
            while (operation is IConversionOperation conversion)
            {
                operation = conversion.Operand;
            }

            return operation;
        }
    }
}
