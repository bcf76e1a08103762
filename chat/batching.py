"""Visitors' questions, stored and answered together while the database is busy.

Every question costs a transaction: locking the conversation, storing the message
and the answer, committing. Under load most of that is fixed cost, so questions that
arrive while the database thread is busy with earlier ones wait and then go in
together, one transaction and one INSERT for all of them (group commit). A question
that arrives alone goes at once: batching adds no delay when there is no queue.

A batch holds one question per conversation, so that each conversation's questions
are answered in the order they came; a second question of a conversation waits for
the next batch.
"""

from __future__ import annotations

import asyncio
import weakref

from channels.db import database_sync_to_async

from . import services

#: Questions answered in one transaction at most: big enough to amortise its cost,
#: small enough that the first of them is not kept waiting long.
MAX_BATCH = 50

_queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue] = weakref.WeakKeyDictionary()


async def visitor_message_post(question: services.VisitorQuestion) -> services.VisitorPost:
    """services.visitor_message_post, batched with other visitors' questions."""
    loop = asyncio.get_running_loop()
    queue = _queues.get(loop)
    if queue is None:
        queue = _queues[loop] = _Queue()
    return await queue.submit(question)


class _Queue:
    def __init__(self) -> None:
        self.waiting: list[tuple[services.VisitorQuestion, asyncio.Future]] = []
        self.draining = False

    async def submit(self, question: services.VisitorQuestion) -> services.VisitorPost:
        future = asyncio.get_running_loop().create_future()
        self.waiting.append((question, future))
        if not self.draining:
            self.draining = True
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self.waiting:
                batch = self._next_batch()
                questions = [question for question, _ in batch]
                try:
                    results = await database_sync_to_async(services.visitor_messages_post)(
                        questions
                    )
                except Exception as error:
                    results = [error] * len(batch)
                for (_, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue  # its socket closed meanwhile; the message is stored
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self.draining = False

    def _next_batch(self) -> list[tuple[services.VisitorQuestion, asyncio.Future]]:
        batch, later, conversations = [], [], set()
        for item in self.waiting:
            conversation_id = item[0].conversation_id
            if conversation_id in conversations or len(batch) >= MAX_BATCH:
                later.append(item)
            else:
                batch.append(item)
                conversations.add(conversation_id)
        self.waiting = later
        return batch
