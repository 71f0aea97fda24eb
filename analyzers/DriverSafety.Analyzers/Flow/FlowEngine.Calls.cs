using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Analyzers.Contracts.Annotations;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace DriverSafety.Analyzers.Flow
{
    internal sealed partial class FlowEngine
    {
        /// <summary>Calls: resolved once into a <see cref="CallSite"/> and typed effects, raised as one event, applied in order.</summary>
        private readonly partial struct Walk
        {
            private FlowState? Call(IOperation site, IMethodSymbol method, ISymbol callee, IOperation? instance, ImmutableArray<IArgumentOperation> arguments, FlowState? state)
            {
                if (state is null)
                {
                    return null;
                }

                if (method.MethodKind == MethodKind.LocalFunction && !_engine._contracts.ForMethod(method).HasLockContract &&
                    _engine._contracts.Context.For(method) == ContextContract.Empty)
                {
                    return _engine.InlineLocalFunction(_info, method, arguments, state, _reporting);
                }

                if (_reporting)
                {
                    MarkLambdasRunAtOnce(site, method, arguments, state);
                }

                var engine = _engine;
                var info = _info;
                var parameterCount = method.Parameters.Length;
                var paths = new AccessPath?[parameterCount];
                var keys = new ValueKey?[parameterCount];
                foreach (var argument in arguments)
                {
                    if (argument.Parameter is { } parameter && parameter.Ordinal < parameterCount && SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol, method))
                    {
                        paths[parameter.Ordinal] = engine.PathOf(info, argument.Value);
                        keys[parameter.Ordinal] = KeyOf(argument.Value);
                    }
                }

                var receiver = method.IsStatic || method.MethodKind == MethodKind.Constructor ? null : instance is null ? AccessPath.This : engine.PathOf(info, instance);
                var callSite = new CallSite(site, method, callee, receiver, paths.ToImmutableArray(), keys.ToImmutableArray(), KeyOf(instance),
                    ValueKey.Operation(site), site.Parent is IExpressionStatementOperation, Locate);
                return _engine.ApplyCall(callSite, state, Observer);
            }

            /// <summary>A method group converted to a delegate type: a site of its own, whose effects the sources decide.</summary>
            private FlowState Convert(IDelegateCreationOperation creation, IMethodReferenceOperation methodReference, INamedTypeSymbol delegateType, FlowState state)
            {
                var receiver = methodReference.Method.IsStatic ? null : _engine.PathOf(_info, methodReference.Instance);
                var site = new CallSite(creation, methodReference.Method, methodReference.Method, receiver, ImmutableArray<AccessPath?>.Empty,
                    ImmutableArray<ValueKey?>.Empty, KeyOf(methodReference.Instance), ValueKey.Operation(creation), false, Locate, delegateType);
                return _engine.ApplyCall(site, state, Observer);
            }

            /// <summary>A user-defined operator or conversion: a call of its method with the operands as arguments.</summary>
            private FlowState? CallOperator(IOperation site, IMethodSymbol method, ImmutableArray<IOperation> operands, FlowState? state)
            {
                if (state is null)
                {
                    return null;
                }

                var engine = _engine;
                var info = _info;
                var paths = operands.Take(method.Parameters.Length).Select(o => engine.PathOf(info, o)).ToImmutableArray();
                var keys = operands.Take(method.Parameters.Length).Select(KeyOf).ToImmutableArray();
                var callSite = new CallSite(site, method, method, null, paths, keys, null, ValueKey.Operation(site), false, Locate);
                return _engine.ApplyCall(callSite, state, Observer);
            }

            /// <summary>
            /// A lambda passed where it runs before the call returns (§7.6c: the models table, <c>[InvokedBeforeReturn]</c>,
            /// a deferred LINQ chain consumed in the same expression) is analysed in the state before the call.
            /// </summary>
            private void MarkLambdasRunAtOnce(IOperation site, IMethodSymbol method, ImmutableArray<IArgumentOperation> arguments, FlowState state)
            {
                foreach (var argument in arguments)
                {
                    var value = StripConversions(argument.Value);
                    if (value is IDelegateCreationOperation creation)
                    {
                        value = StripConversions(creation.Target);
                    }

                    if (value is not IFlowAnonymousFunctionOperation lambda || !_engine._lambdaSeen.TryGetValue(lambda, out var pending) || pending.InlineState is not null)
                    {
                        continue;
                    }

                    var invokedBeforeReturn = _engine._contracts.Known.InvokedBeforeReturn;
                    var marked = argument.Parameter is { } parameter && _engine._contracts.Known.AttributesOf(parameter).Any(a => KnownSymbols.Is(a, invokedBeforeReturn));
                    if (marked || BuiltInModels.Invokes(method) || (IsDeferredLinq(method) && ConsumedAtOnce(site)))
                    {
                        pending.InlineState = state;
                    }
                }
            }

            private static bool IsDeferredLinq(IMethodSymbol method) =>
                BuiltInModels.IsLinq(method.ReducedFrom ?? method) && BuiltInModels.DeferredLinq.Contains(method.Name);

            /// <summary>A deferred chain whose result is consumed by the same expression or statement: an immediate operator, <c>foreach</c>, <c>string.Join</c>, a collection constructor.</summary>
            private static bool ConsumedAtOnce(IOperation chain)
            {
                for (var current = chain; current is not null;)
                {
                    var parent = current.Parent;
                    while (parent is IConversionOperation or IArgumentOperation)
                    {
                        parent = parent.Parent;
                    }

                    switch (parent)
                    {
                        case IInvocationOperation next when IsDeferredLinq(next.TargetMethod):
                            current = next;
                            continue;
                        case IInvocationOperation next:
                            return BuiltInModels.Invokes(next.TargetMethod) || BuiltInModels.Consumes(next.TargetMethod) ||
                                (next.TargetMethod.Name == "GetEnumerator" && current.Syntax.Parent is ForEachStatementSyntax);
                        case IObjectCreationOperation collection:
                            return collection.Type?.ContainingNamespace is { } ns && BuiltInModels.CollectionNamespaces.Contains(ns.ToDisplayString());
                        case IFlowCaptureOperation:
                            return current.Syntax.Parent is ForEachStatementSyntax fe && fe.Expression == current.Syntax;
                        default:
                            return current.Syntax.Parent is ForEachStatementSyntax forEach && forEach.Expression == current.Syntax;
                    }
                }

                return false;
            }
        }

        /// <summary>Resolves a call's effects, raises the call event in the reporting pass, and applies the effects after the call.</summary>
        private FlowState ApplyCall(CallSite site, FlowState before, IFlowObserver? observer)
        {
            var effects = _calls.Resolve(site, before);
            if (effects.IsEmpty)
            {
                observer?.OnCall(new CallEvent(_body, site, effects, before, before));
                return before;
            }

            var context = new EffectContext(site, before, _contracts);
            var after = before;
            foreach (var effect in effects)
            {
                after = effect.Apply(after, context);
            }

            observer?.OnCall(new CallEvent(_body, site, effects, before, after));
            return after;
        }

        /// <summary>
        /// Where a finding about a call goes (SPEC §5): the invocation; for a site that is not one, its own syntax — a
        /// <c>lock</c> statement's expression, an implicit <c>Dispose</c>'s <c>using</c> declaration or statement header,
        /// a converted method group's name.
        /// </summary>
        private static readonly System.Func<IOperation, Location> Locate = ReportLocation;

        private static Location ReportLocation(IOperation site)
        {
            if (site is IDelegateCreationOperation { Target: IMethodReferenceOperation methodReference })
            {
                // A method group converted to a delegate: at the method's name, whether the conversion is written or not.
                return methodReference.Syntax.GetLocation();
            }

            if (!site.IsImplicit)
            {
                return site.Syntax.GetLocation();
            }

            for (var node = site.Syntax; node is not null; node = node.Parent)
            {
                switch (node)
                {
                    case LockStatementSyntax lockStatement:
                        return lockStatement.Expression.GetLocation();
                    case UsingStatementSyntax usingStatement:
                        return Location.Create(usingStatement.SyntaxTree, TextSpan.FromBounds(usingStatement.UsingKeyword.SpanStart, usingStatement.CloseParenToken.Span.End));
                    case LocalDeclarationStatementSyntax { UsingKeyword.RawKind: (int)SyntaxKind.UsingKeyword } declaration:
                        return declaration.GetLocation();
                    case ForEachStatementSyntax forEach:
                        return Location.Create(forEach.SyntaxTree, TextSpan.FromBounds(forEach.ForEachKeyword.SpanStart, forEach.CloseParenToken.Span.End));
                    case StatementSyntax:
                        return site.Syntax.GetLocation();
                }
            }

            return site.Syntax.GetLocation();
        }
    }
}
