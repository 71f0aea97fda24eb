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
        private readonly partial struct Walk
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
                    return state.WithKnown(key, known);
                }

                return state;
            }
        }
    }
}
