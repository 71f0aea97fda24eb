using System.Collections.Immutable;
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
            private readonly System.Func<IOperation?, AccessPath?>? _pathOf;

            public Walk(FlowEngine engine, CfgInfo info, bool reporting)
            {
                _engine = engine;
                _info = info;
                _reporting = reporting;
                _pathOf = reporting ? operation => engine.PathOf(info, operation) : null;
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
                        if (_reporting && !_engine._lambdaSeen.ContainsKey(lambda))
                        {
                            var pending = new PendingLambda(_info.Cfg, lambda, (lambda.Parent as IDelegateCreationOperation)?.Type as INamedTypeSymbol);
                            _engine._lambdaSeen.Add(lambda, pending);
                            _engine._lambdas.Add(pending);
                        }

                        return state;

                    case IDelegateCreationOperation { Target: IMethodReferenceOperation methodReference, Type: INamedTypeSymbol delegateType } creation:
                        state = Visit(methodReference.Instance, state, Access.Read);
                        return state is null ? null : Convert(creation, methodReference, delegateType, state);

                    case INameOfOperation or ITypeOfOperation or ISizeOfOperation:
                        // Names a member without reading it.
                        return state;

                    case IInvocationOperation invocation:
                        state = Visit(invocation.Instance, state, MutatesReceiver(invocation) ? Access.ReadWrite : Access.Read);
                        state = VisitArguments(invocation.Arguments, state);
                        return Call(invocation, invocation.TargetMethod, invocation.TargetMethod, invocation.Instance, invocation.Arguments, state);

                    case IObjectCreationOperation creation:
                        state = VisitArguments(creation.Arguments, state);
                        if (creation.Constructor is { } constructor)
                        {
                            state = Call(creation, constructor, constructor, null, creation.Arguments, state);
                        }

                        return Visit(creation.Initializer, state, Access.Read);

                    case IBinaryOperation { OperatorMethod: { } binaryOperator } binary:
                        state = Visit(binary.LeftOperand, state, Access.Read);
                        state = Visit(binary.RightOperand, state, Access.Read);
                        return CallOperator(binary, binaryOperator, ImmutableArray.Create(binary.LeftOperand, binary.RightOperand), state);

                    case IUnaryOperation { OperatorMethod: { } unaryOperator } unary:
                        state = Visit(unary.Operand, state, Access.Read);
                        return CallOperator(unary, unaryOperator, ImmutableArray.Create(unary.Operand), state);

                    case IConversionOperation { OperatorMethod: { } conversionOperator } conversion:
                        state = Visit(conversion.Operand, state, Access.Read);
                        return CallOperator(conversion, conversionOperator, ImmutableArray.Create(conversion.Operand), state);

                    case ISimpleAssignmentOperation assignment:
                        state = VisitTargetReceiver(assignment.Target, state, Access.Write);
                        state = Visit(assignment.Value, state, Access.Read);
                        var written = WrittenLocation(assignment.Target);
                        state = CheckMember(written, Access.Write, state);
                        if (state is not null)
                        {
                            Observer?.OnAssignment(new AssignmentEvent(_engine._body, assignment, assignment.Target, assignment.Value, state));
                        }

                        state = Store(assignment.Target, assignment.Value, state);
                        return state is null ? null : StoreMember(written, assignment.Value, state);

                    case ICompoundAssignmentOperation compound:
                        state = VisitTargetReceiver(compound.Target, state, Access.ReadWrite);
                        state = Visit(compound.Value, state, Access.Read);
                        state = CheckMember(compound.Target, Access.ReadWrite, state);
                        return state is null ? null : Forget(compound.Target, state);

                    case ICoalesceAssignmentOperation coalesce:
                        state = VisitTargetReceiver(coalesce.Target, state, Access.ReadWrite);
                        state = Visit(coalesce.Value, state, Access.Read);
                        state = CheckMember(coalesce.Target, Access.ReadWrite, state);
                        return state is null ? null : Forget(coalesce.Target, state);

                    case IIncrementOrDecrementOperation increment:
                        state = VisitTargetReceiver(increment.Target, state, Access.ReadWrite);
                        state = CheckMember(increment.Target, Access.ReadWrite, state);
                        return state is null ? null : Forget(increment.Target, state);

                    case IFlowCaptureOperation capture:
                        state = Visit(capture.Value, state, Access.Read);
                        return state is null ? null : Store(ValueKey.Capture(capture.Id), capture.Value, state);

                    case IFieldReferenceOperation or IPropertyReferenceOperation:
                        state = VisitTargetReceiver(operation, state, access);
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

            /// <summary>
            /// A call that mutates its receiver writes it (§7.6d): a non-readonly method of a struct, or a mutator of a
            /// well-known collection.
            /// </summary>
            private static bool MutatesReceiver(IInvocationOperation invocation)
            {
                var method = invocation.TargetMethod;
                if (method.IsStatic || invocation.Instance is null)
                {
                    return false;
                }

                if (invocation.Instance.Type is { IsValueType: true } && !method.IsReadOnly && method.MethodKind == MethodKind.Ordinary &&
                    !(invocation.Instance.Type is INamedTypeSymbol { IsReadOnly: true }))
                {
                    return true;
                }

                return BuiltInModels.IsCollectionMutator(method);
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

            /// <summary>
            /// Visits what is evaluated before a member is read or written: its receiver and indexer arguments. Writing a
            /// field of a struct-typed member writes that member.
            /// </summary>
            private FlowState? VisitTargetReceiver(IOperation target, FlowState? state, Access access)
            {
                switch (target)
                {
                    case IFieldReferenceOperation field:
                        return Visit(field.Instance, state, access != Access.Read && field.Instance?.Type is { IsValueType: true } ? Access.ReadWrite : Access.Read);
                    case IPropertyReferenceOperation property:
                        state = Visit(property.Instance, state, access != Access.Read && property.Instance?.Type is { IsValueType: true } ? Access.ReadWrite : Access.Read);
                        return VisitArguments(property.Arguments, state);
                    case IMemberReferenceOperation:
                        return state;
                    default:
                        return Visit(target, state, Access.Read);
                }
            }

            /// <summary>Raises a member access (the <c>[GuardedBy]</c> rules) after running a property's accessors as calls.</summary>
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
                            state = Call(property, getter, property.Property, instance, property.Arguments, state);
                        }

                        if (access != Access.Read && property.Property.SetMethod is { } setter && state is not null)
                        {
                            state = Call(property, setter, property.Property, instance, property.Arguments, state);
                        }

                        if (state is null)
                        {
                            return null;
                        }

                        break;
                    default:
                        return state;
                }

                if (Observer is { } observer)
                {
                    observer.OnMemberAccess(new MemberAccessEvent(_engine._body, target, member, instance, _pathOf!, access != Access.Read, IsOwnInitialization(member, instance), state));
                }

                return state;
            }

            /// <summary>
            /// A constructor initialises its own object before anyone else can see it, and an object initializer its fresh
            /// object (no lock needed, as in Clang; §7.6d).
            /// </summary>
            private bool IsOwnInitialization(ISymbol member, IOperation? instance)
            {
                var body = _engine._body.Symbol;
                if (member.IsStatic)
                {
                    return body?.MethodKind == MethodKind.StaticConstructor && SymbolEqualityComparer.Default.Equals(member.ContainingType, body.ContainingType);
                }

                var receiver = StripConversions(instance);
                if (_engine._body.IsConstructor && receiver is IInstanceReferenceOperation)
                {
                    return true;
                }

                if (receiver is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ImplicitReceiver })
                {
                    return true;
                }

                return receiver is IFlowCaptureReferenceOperation capture && _info.Captures.TryGetValue(capture.Id, out var value) && value is IObjectCreationOperation or IAnonymousObjectCreationOperation;
            }

            private FlowState? Store(IOperation target, IOperation value, FlowState? state)
            {
                if (state is null)
                {
                    return null;
                }

                return KeyOf(target) is { } key ? Store(key, value, state) : state;
            }

            /// <summary>Stores a value at <paramref name="key"/>: the facts of the value move to it (negated through <c>!</c>), or its constant becomes known.</summary>
            private static FlowState Store(ValueKey key, IOperation value, FlowState state)
            {
                var negate = false;
                var source = StripConversions(value);
                while (source is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not, OperatorMethod: null } not)
                {
                    negate = !negate;
                    source = StripConversions(not.Operand);
                }

                if (KeyOf(source) is { } from)
                {
                    return from.Equals(key) && negate ? Negate(key, state) : state.Bind(from, key, negate);
                }

                state = state.Forget(key);
                var constant = value.ConstantValue;
                if (constant.HasValue && ConditionValue.FromConstant(constant.Value) is { } known)
                {
                    return state.WithValues(state.Values.With(key, known));
                }

                return state;
            }

            /// <summary>
            /// The member an assignment writes: its target, or, where the CFG captured the target's location first
            /// (<c>f.X ??= v</c> assigns through a capture of <c>f.X</c>), the field or property that capture stands for.
            /// </summary>
            private IOperation WrittenLocation(IOperation target) =>
                StripConversions(target) is IFlowCaptureReferenceOperation location && _info.Captures.TryGetValue(location.Id, out var captured) &&
                captured is IFieldReferenceOperation or IPropertyReferenceOperation
                    ? captured
                    : target;

            /// <summary>A store into a field, property or element: every domain hears what was stored where.</summary>
            private FlowState StoreMember(IOperation target, IOperation value, FlowState state)
            {
                var (member, instance) = target switch
                {
                    IFieldReferenceOperation field => ((ISymbol?)field.Field, field.Instance),
                    IPropertyReferenceOperation property => (property.Property, property.Instance),
                    IArrayElementReferenceOperation element => (null, element.ArrayReference),
                    _ => ((ISymbol?)null, (IOperation?)null),
                };
                if (member is null && target is not IArrayElementReferenceOperation)
                {
                    return state;
                }

                var instancePath = member is { IsStatic: true } ? AccessPath.ForStatic(member.ContainingType) : _engine.PathOf(_info, instance);
                return state.StoreMember(new Domains.MemberStore(member, instancePath, KeyOf(instance), value, KeyOf(value), _engine._contracts));
            }

            /// <summary><c>b = !b</c>: every fact on the value flips.</summary>
            private static FlowState Negate(ValueKey key, FlowState state)
            {
                var scratch = ValueKey.Scratch;
                state = state.Bind(key, scratch, negate: true);
                state = state.Bind(scratch, key, negate: false);
                return state.Forget(scratch);
            }

            private static FlowState Forget(IOperation target, FlowState state) => KeyOf(target) is { } key ? state.Forget(key) : state;
        }
    }
}
