"""Channels consumers of the chat: the customer's socket and the agent console's socket."""

from __future__ import annotations

from chat.consumers.agent import AgentChatConsumer
from chat.consumers.visitor import VisitorConsumer

__all__ = ["AgentChatConsumer", "VisitorConsumer"]
