"""Pages of a SQLAlchemy select for flask-smorest's `@blp.paginate(SelectPage)`."""

from __future__ import annotations

from flask_smorest import Page
from sqlalchemy import func, select

from api.context import db_session


class SelectPage(Page):
    @property
    def item_count(self) -> int:
        return db_session().scalar(select(func.count()).select_from(self.collection.order_by(None).subquery())) or 0

    @property
    def items(self) -> list:
        params = self.page_params
        if params.first_item >= params.item_count:
            return []  # past the last page (also keeps absurd page numbers away from the database)
        return list(db_session().scalars(self.collection.offset(params.first_item).limit(params.page_size)).unique())
